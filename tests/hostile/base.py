"""The platform repo every hostile case starts from: small, valid for validate, render and check
with no chart to pull (the built-in components are off), one service with a contract, a
provisioner of the repo's own and a policy, so each kind of file a repo holds is there to break."""

from __future__ import annotations

from pathlib import Path

from dockyard.load.versions import series
from tests.charts import BUILT_IN_OFF
from tests.helpers import write

PLATFORM = (
    "apiVersion: dockyard.dev/v1alpha2\n"
    "kind: Platform\n"
    f"dockyard: '{series()}'\n"
    "name: lab\n"
    "domain: lab.example.org\n"
    "profile: dev-fast\n"
    "serviceDefaults:\n"
    "  team: lab\n"
    "  replicas: 1\n"
    "components:\n" + BUILT_IN_OFF
)
ENVIRONMENT = "apiVersion: dockyard.dev/v1alpha1\nkind: Environment\nprofile: dev-fast\n"
CLUSTER = "apiVersion: dockyard.dev/v1alpha1\nkind: Cluster\nenvironment: test\nkubernetes:\n  version: '1.36'\n"
SCORE = """apiVersion: score.dev/v1b1
metadata:
  name: api
containers:
  main:
    image: registry.example.org/api:1.0.0
    args: ["--listen", ":8080"]
    variables:
      GREETING: hello
      QUEUE_URL: ${resources.queue.url}
    files:
      - target: /etc/api/config.yaml
        content: "level: info"
    resources:
      requests: {cpu: 50m, memory: 64Mi}
      limits: {memory: 128Mi}
    livenessProbe:
      httpGet: {path: /live, port: 8080}
    readinessProbe:
      httpGet: {path: /ready, port: 8080}
service:
  ports:
    http: {port: 80, targetPort: 8080}
resources:
  api:
    type: api
  queue:
    type: queue
    params:
      size: small
"""
SETTINGS = "apiVersion: dockyard.dev/v1alpha1\nkind: ServiceSettings\ncontract: openapi.yaml\n"
CONTRACT = """openapi: 3.0.3
info: {title: api, version: '1'}
paths:
  /items:
    get:
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Items'}
components:
  schemas:
    Items:
      type: array
      items: {type: string}
"""
PROVISIONER = """apiVersion: dockyard.dev/v1alpha1
kind: Provisioner
description: A message queue of the platform's broker
params:
  size: the queue's size
defaults:
  size: small
outputs:
  url: amqp://${service}-${id}.broker:5672
manifests:
  - apiVersion: v1
    kind: ConfigMap
    metadata:
      name: ${service}-${id}
    data:
      size: ${params.size}
"""
POLICY = """package dockyard.policies.labels

import rego.v1

deny contains finding if {
  some object in input.objects
  object.kind == "Deployment"
  not object.manifest.metadata.labels["dockyard.dev/team"]
  finding := {"object": object.id, "path": "metadata.labels", "message": "every Deployment names its team"}
}
"""

FILES: dict[str, str] = {
    "platform.yaml": PLATFORM,
    "environments/test.yaml": ENVIRONMENT,
    "clusters/local.yaml": CLUSTER,
    "services/api/score.yaml": SCORE,
    "services/api/dockyard.yaml": SETTINGS,
    "services/api/openapi.yaml": CONTRACT,
    "provisioners/queue.yaml": PROVISIONER,
    "policies/labels.rego": POLICY,
}


def write_repo(root: Path, files: dict[str, str | bytes]) -> Path:
    for relative, content in files.items():
        write(root, relative, content)
    return root
