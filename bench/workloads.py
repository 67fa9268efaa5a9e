"""The Score workload the validate and render benchmarks generate, one per service."""

from __future__ import annotations


def score(
    name: str, index: int, *, upstream: str | None = None, replicas: int | None = None, team: str | None = None
) -> str:
    """A service with variables, probes, resources, a port and a postgres database.

    `upstream` adds a dependency on another service; `replicas` and `team` add x-dockyard settings.
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
    settings = {"replicas": replicas, "team": team}
    if any(v is not None for v in settings.values()):
        text += "x-dockyard:\n" + "".join(f"  {k}: {v}\n" for k, v in settings.items() if v is not None)
    return text
