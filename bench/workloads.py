"""The Score workload the validate and render benchmarks generate, one per service."""

from __future__ import annotations


def score(
    name: str,
    index: int,
    *,
    upstream: str | None = None,
    api: bool = False,
) -> str:
    """A service with variables, probes, resources, a port and a postgres database.

    `upstream` adds a dependency on another service; `api` adds an API (its contract is set in
    the service's dockyard.yaml, see `settings`) and a route at the edge.
    """
    text = f"""apiVersion: score.dev/v1b1
metadata:
  name: {name}
containers:
  main:
    image: registry.example.com/{name}:1.0.{index}
    args: ["--port", "8080"]
    variables:
      DB_HOST: ${{resources.db.host}}
      DB_NAME: ${{resources.db.name}}
      LOG_LEVEL: info
    resources:
      requests: {{cpu: 100m, memory: 128Mi}}
      limits: {{memory: 256Mi}}
    livenessProbe:
      httpGet: {{path: /healthz, port: 8080}}
    readinessProbe:
      httpGet: {{path: /ready, port: 8080}}
service:
  ports:
    http: {{port: 80, targetPort: 8080}}
resources:
  db:
    type: postgres
"""
    if upstream:
        text += f"  upstream:\n    type: service\n    params:\n      name: {upstream}\n"
    if api:
        text += "  api:\n    type: api\n"
        text += f"  public:\n    type: route\n    params:\n      host: {name}\n      path: /\n      port: 80\n"
    return text


def settings(
    *, replicas: int | None = None, team: str | None = None, api: bool = False, callers: str | None = None
) -> str:
    """The service's dockyard.yaml: its replicas, team, (for an API) contract (`openapi.yaml`) and the
    other team that may depend on it (`callers`)."""
    values: dict[str, object] = {
        "replicas": replicas,
        "team": team,
        "contract": "openapi.yaml" if api else None,
        "callers": f"[{callers}]" if callers else None,
    }
    return "apiVersion: dockyard.dev/v1alpha1\nkind: ServiceSettings\n" + "".join(
        f"{k}: {v}\n" for k, v in values.items() if v is not None
    )


def contract(name: str) -> str:
    """An OpenAPI 3.0 contract like a small real API: a public health check, reads and writes
    with scopes of the service's own (scopes are realm-wide, so each API names its own), a
    templated path beside a concrete one, a path parameter and a request body."""
    return f"""openapi: 3.0.3
info: {{title: {name}, version: 1.0.0}}
components:
  securitySchemes:
    platform:
      type: oauth2
      flows:
        clientCredentials:
          tokenUrl: https://sso.example.com/realms/bench/protocol/openid-connect/token
          scopes:
            {name}:read: Read
            {name}:write: Write
            {name}:admin: Export
  schemas:
    Item:
      type: object
      required: [id, name]
      properties:
        id: {{type: string}}
        name: {{type: string, maxLength: 200}}
        tags: {{type: array, items: {{type: string}}}}
security:
  - platform: [{name}:read]
paths:
  /healthz:
    get:
      security: []
      responses:
        "200": {{description: Healthy}}
  /items:
    get:
      responses:
        "200":
          description: The items
          content:
            application/json:
              schema: {{type: array, items: {{$ref: "#/components/schemas/Item"}}}}
    post:
      security:
        - platform: [{name}:write]
      requestBody:
        content:
          application/json:
            schema: {{$ref: "#/components/schemas/Item"}}
      responses:
        "201": {{description: Created}}
  /items/export:
    get:
      security:
        - platform: [{name}:admin]
      responses:
        "200": {{description: Every item}}
  /items/{{id}}:
    parameters:
      - {{name: id, in: path, required: true, schema: {{type: string}}}}
    get:
      responses:
        "200":
          description: One item
          content:
            application/json:
              schema: {{$ref: "#/components/schemas/Item"}}
    delete:
      security:
        - platform: [{name}:write]
      responses:
        "204": {{description: Deleted}}
"""
