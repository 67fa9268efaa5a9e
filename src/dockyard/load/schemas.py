"""JSON Schemas (Draft 2020-12) for every file kind of the platform repo.

They serve twice: Dockyard validates with them, and `dockyard schema` exports them so
editors validate as people type. `x-dockyard-error` on a schema holds the message
Dockyard prints when a value does not match its pattern, in words a person can act on.
"""

from __future__ import annotations

import re
from typing import Any

V1ALPHA1 = "dockyard.dev/v1alpha1"
V1ALPHA2 = "dockyard.dev/v1alpha2"
API_VERSION = V1ALPHA1
"""The version of the file kinds whose shape has not changed since the first (see VERSIONS)."""
SCORE_API_VERSION = "score.dev/v1b1"
SCHEMA_ROOT = "https://dockyard.dev/schemas"

DNS_LABEL = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
DNS_LABEL_ERROR = (
    "must be a DNS-1123 label: at most 63 characters of a-z, 0-9 and '-', starting and ending with a letter or digit"
)


def _label(description: str) -> dict[str, Any]:
    return {
        "type": "string",
        "description": description,
        "maxLength": 63,
        "pattern": DNS_LABEL,
        "x-dockyard-error": DNS_LABEL_ERROR,
    }


QUANTITY_CPU = {
    "type": "string",
    "description": "CPU as whole or fractional cores, or millicores: 2, 0.5, 250m.",
    "pattern": r"^([0-9]+m|[0-9]+(\.[0-9]+)?)$",
    "x-dockyard-error": "must be a CPU quantity such as 250m, 0.5 or 2",
}
QUANTITY_MEMORY = {
    "type": "string",
    "description": "Memory in bytes with an optional unit: 128Mi, 1Gi, 500M.",
    "pattern": r"^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|K|M|G|T|P|E)?$",
    "x-dockyard-error": "must be a memory quantity such as 128Mi or 1Gi",
}
INT_OR_PERCENT = {
    "anyOf": [
        {"type": "integer", "minimum": 0},
        {"type": "string", "pattern": "^[0-9]{1,3}%$"},
    ],
    "description": "A count, or a percentage such as 25%.",
}
PORT = {"type": "integer", "minimum": 1, "maximum": 65535, "description": "A TCP or UDP port, 1-65535."}
RELATIVE_FILE = {
    "type": "string",
    "minLength": 1,
    "description": "A path relative to the file that names it; it must stay inside the platform repo.",
}

_DOMAIN_PART = "[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_PATH_PART = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
IMAGE = {
    "type": "string",
    "pattern": (
        f"^(?:(?:{_DOMAIN_PART}(?:\\.{_DOMAIN_PART})*(?::[0-9]+)?/)?{_PATH_PART}(?:/{_PATH_PART})*"
        "(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?"
        "(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?)(?!\\n)$"
    ),
    "maxLength": 1024,
    "x-dockyard-error": "must be an image reference such as registry.example.org/team/app:1.2.3 "
    "(lower-case repository path, an optional tag and digest)",
}
"""An OCI image reference as container runtimes parse it ([registry[:port]/]path[:tag][@digest])."""
IMAGE_REFERENCE = re.compile(str(IMAGE["pattern"]))
HTTP_PATH = {
    "type": "string",
    "pattern": "^/[\\x21-\\x7e]*(?!\\n)$",
    "x-dockyard-error": "must be a URL path starting with / (visible ASCII, no spaces; percent-encode the rest)",
}

COMPUTE = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"cpu": QUANTITY_CPU, "memory": QUANTITY_MEMORY},
}
RESOURCES = {
    "type": "object",
    "description": "Compute requests and limits.",
    "additionalProperties": False,
    "properties": {"requests": COMPUTE, "limits": COMPUTE},
}

SERVICE_SETTINGS: dict[str, Any] = {
    "type": "object",
    "description": "Dockyard's settings for a service: services/<name>/dockyard.yaml, or serviceDefaults in a layer.",
    "additionalProperties": False,
    "properties": {
        "team": _label("The team that owns the service; services of one team share its namespace."),
        "owner": {
            "type": "string",
            "minLength": 1,
            "maxLength": 200,
            "pattern": "^[^\\x00-\\x1f\\x7f]+$",
            "description": "Who answers for the service within its team: a person, a group or an on-call rotation "
            "(shown in the console's catalog).",
        },
        "namespace": _label("The namespace to deploy into; defaults to the team's namespace."),
        "replicas": {"type": "integer", "minimum": 0, "maximum": 1000, "description": "Pod replicas."},
        "autoscaling": {
            "type": "object",
            "description": "A HorizontalPodAutoscaler on CPU.",
            "additionalProperties": False,
            "properties": {
                "enabled": {"type": "boolean"},
                "minReplicas": {"type": "integer", "minimum": 1, "maximum": 1000},
                "maxReplicas": {"type": "integer", "minimum": 1, "maximum": 1000},
                "targetCPUUtilizationPercentage": {"type": "integer", "minimum": 1, "maximum": 100},
            },
        },
        "rollout": {
            "type": "object",
            "description": "How new versions replace old pods.",
            "additionalProperties": False,
            "properties": {
                "strategy": {"enum": ["RollingUpdate", "Recreate"]},
                "maxSurge": INT_OR_PERCENT,
                "maxUnavailable": INT_OR_PERCENT,
            },
        },
        "disruptionBudget": {
            "type": "object",
            "description": "A PodDisruptionBudget; set one of minAvailable or maxUnavailable.",
            "additionalProperties": False,
            "properties": {"minAvailable": INT_OR_PERCENT, "maxUnavailable": INT_OR_PERCENT},
            "maxProperties": 1,
        },
        "resources": {**RESOURCES, "description": "Default requests and limits for containers that set none."},
        "contract": {**RELATIVE_FILE, "description": "The service's OpenAPI 3.x contract, relative to score.yaml."},
        "callers": {
            "type": "array",
            "items": _label("A team, or a service of another team."),
            "description": "Other teams (by name), or services of other teams, that may depend on this service "
            "(a `service` resource); its own team's services always may.",
        },
        "auth": {
            "type": "object",
            "description": "How callers authenticate to the service's API.",
            "additionalProperties": False,
            "properties": {
                "jwt": {"type": "boolean", "description": "Require a platform JWT on operations with security."},
            },
        },
        "job": {
            "type": "object",
            "description": "Run the workload as a job (e.g. a data connector), not a long-running service: on a "
            "schedule, or only when someone starts it (from the console). Its runs are cleaned up by `keep`.",
            "additionalProperties": False,
            "properties": {
                "schedule": {
                    "type": "string",
                    "pattern": r"^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|\S+( +\S+){4})$",
                    "x-dockyard-error": "must be a cron schedule of five fields (`0 3 * * *`: 03:00 every day) "
                    "or @hourly, @daily, @weekly, @monthly, @yearly",
                    "description": "A cron schedule of five fields (`0 3 * * *`) or @daily, @hourly, ...; "
                    "absent: it runs only when started.",
                },
                "timeZone": {"type": "string", "minLength": 1, "description": "The schedule's time zone (IANA)."},
                "retries": {"type": "integer", "minimum": 0, "maximum": 100, "description": "Tries after a failure."},
                "timeoutSeconds": {"type": "integer", "minimum": 1, "maximum": 604800},
                "concurrency": {
                    "enum": ["Forbid", "Allow", "Replace"],
                    "description": "When a run is due while another runs: skip it, run both, or replace the old.",
                },
                "keep": {
                    "type": "object",
                    "description": "How many finished runs to keep; older ones are deleted.",
                    "additionalProperties": False,
                    "properties": {
                        "succeeded": {"type": "integer", "minimum": 0, "maximum": 100},
                        "failed": {"type": "integer", "minimum": 0, "maximum": 100},
                    },
                },
            },
        },
        "images": {
            "type": "object",
            "description": "Container images by container name, for a layer to supply at deploy time: the image "
            "of a container whose score.yaml says `image: .`, or one that replaces what score.yaml says.",
            "additionalProperties": IMAGE,
        },
        "metrics": {
            "type": "object",
            "description": "A Prometheus scrape target.",
            "additionalProperties": False,
            "properties": {
                "port": {"type": "string", "description": "The name of a service port."},
                "path": {"type": "string", "pattern": "^/", "x-dockyard-error": "must start with /"},
            },
        },
    },
}

CHART_SOURCE = {
    "type": "object",
    "description": "Where a component's chart comes from: exactly one of repository, oci or gomodule.",
    "additionalProperties": False,
    "required": ["name", "version"],
    "properties": {
        "name": {"type": "string", "minLength": 1, "description": "The chart's name."},
        "version": {"type": "string", "minLength": 1, "description": "The exact chart (or module) version."},
        "kind": {"enum": ["helm", "manifests"], "description": "A Helm chart, or plain manifests."},
        "repository": {
            "type": "string",
            "pattern": "^https?://",
            "x-dockyard-error": "must be an http(s) URL of a Helm chart repository",
            "description": "A Helm chart repository.",
        },
        "oci": {
            "type": "string",
            "pattern": "^oci://",
            "x-dockyard-error": "must be an oci:// reference such as oci://ghcr.io/org/charts/name",
            "description": "An OCI reference of the chart, without its version.",
        },
        "gomodule": {"type": "string", "minLength": 1, "description": "A Go module (its tag holds the chart)."},
        "path": {"type": "string", "minLength": 1, "description": "The chart's directory (or file) in the module."},
        "valuesTemplate": {
            "type": "string",
            "minLength": 1,
            "description": "A chart in a module's source tree whose values.yaml its release writes from this file.",
        },
        "placeholders": {
            "type": "object",
            "description": "The value of each ${name} in the values template.",
            "additionalProperties": {"type": "string"},
        },
        "without": {
            "type": "array",
            "items": {"type": "string", "minLength": 1},
            "description": "Dependencies of a chart in a module's source tree to leave out (optional subcharts "
            "whose own source is not served); their values cannot switch them on.",
        },
    },
    "oneOf": [{"required": ["repository"]}, {"required": ["oci"]}, {"required": ["gomodule"]}],
    "dependentRequired": {"without": ["gomodule"], "valuesTemplate": ["gomodule"]},
}

COMPONENT = {
    "type": "object",
    "description": "A platform component: whether it is enabled and values for its chart.",
    "additionalProperties": False,
    "properties": {
        "enabled": {"type": "boolean"},
        "values": {"type": "object", "description": "Chart values, merged over Dockyard's own."},
        "chart": CHART_SOURCE,
        "namespace": _label("The namespace of a component of your own."),
        "stage": {
            "enum": ["platform-networking", "platform-services"],
            "description": "When a component of your own installs.",
        },
        "exclude": {
            "type": "array",
            "description": "Kinds of the chart not to install (e.g. webhooks a cluster cannot call).",
            "items": {"type": "string", "minLength": 1},
        },
        "secrets": {
            "type": "object",
            "description": "Secrets made in the component's namespace from the repo's encrypted secrets, by name "
            "(for the chart's existing-secret values): each maps a key of the Secret to a secret's dotted key.",
            "propertyNames": {"pattern": DNS_LABEL},
            "additionalProperties": {
                "type": "object",
                "minProperties": 1,
                "propertyNames": {"pattern": "^[-._a-zA-Z0-9]+$"},
                "additionalProperties": {
                    "type": "string",
                    "pattern": r"^[A-Za-z0-9_][-A-Za-z0-9_]*(\.[A-Za-z0-9_][-A-Za-z0-9_]*)*$",
                },
            },
        },
    },
}

SYNC_CONTROLLER = {
    "type": "object",
    "description": "Run the sync controller in the cluster (the dockyard-controller component): it follows `source`.",
    "additionalProperties": False,
    "required": ["source", "image", "version"],
    "properties": {
        "source": {
            "type": "string",
            "minLength": 1,
            "pattern": "^(https?|ssh|git)://[^\\s]+$|^[^\\s/@]+@[^\\s:]+:[^\\s]+$",
            "x-dockyard-error": "must be a git URL the cluster can reach (https://, ssh://, git:// or user@host:path)",
            "description": "The platform repo's git URL.",
        },
        "branch": {"type": "string", "minLength": 1, "description": "The branch to follow (default main)."},
        "path": {"type": "string", "minLength": 1, "description": "The platform repo's directory (default .)."},
        "image": {
            "type": "string",
            "pattern": "^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)+$",
            "x-dockyard-error": "must be an image repository without a tag, such as registry.example.org/dockyard",
            "description": "Dockyard's image repository, without a tag (the tag is `version`).",
        },
        "version": {
            "type": "string",
            "pattern": "^[0-9]+\\.[0-9]+\\.[0-9]+$",
            "x-dockyard-error": "must be a release version such as 0.2.0",
            "description": "The Dockyard release the controller runs, exactly; inside the repo's `dockyard` range.",
        },
        "digest": {
            "type": "string",
            "pattern": "^sha256:[0-9a-f]{64}$",
            "x-dockyard-error": "must be sha256: and 64 hexadecimal digits",
            "description": "The image's digest for that version (pins it; needed with imagePolicy.requireDigest).",
        },
        "replicas": {"type": "integer", "minimum": 1, "maximum": 5, "description": "Candidates (default 2)."},
        "interval": {"type": "integer", "minimum": 5, "description": "Seconds between polls (default 60)."},
        "credentials": {
            **_label("A Secret in the controller's namespace with git's credentials (basic-auth or ssh-auth)."),
        },
        "decryption": {
            **_label(
                "A Secret in the controller's namespace whose key keys.txt holds the age private keys that open "
                "the repo's secrets files."
            ),
        },
    },
}

LAYER_VALUES: dict[str, Any] = {
    "domain": {
        "type": "string",
        "description": "The base DNS domain; services are reachable at <host>.<domain>.",
        "pattern": r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]{2,63}$",
        "x-dockyard-error": "must be a DNS domain such as shop.example.com",
    },
    "profile": {
        "enum": ["dev-fast", "full", "complete"],
        "description": "Which platform components are on: dev-fast, full or complete.",
    },
    "imagePolicy": {
        "type": "object",
        "additionalProperties": False,
        "properties": {"requireDigest": {"type": "boolean", "description": "Images must be pinned by digest."}},
    },
    "postgres": {
        "type": "object",
        "description": "How postgres resources are provisioned.",
        "additionalProperties": False,
        "properties": {
            "mode": {"enum": ["dedicated", "shared"]},
            "instances": {"type": "integer", "minimum": 1, "maximum": 9},
            "storage": QUANTITY_MEMORY,
        },
    },
    "serviceDefaults": SERVICE_SETTINGS,
    "gateway": {
        "type": "object",
        "description": "The platform gateway every route attaches to.",
        "additionalProperties": False,
        "properties": {
            "serviceType": {
                "enum": ["LoadBalancer", "NodePort", "ClusterIP"],
                "description": "How the gateway's proxies are exposed (default LoadBalancer).",
            }
        },
    },
    "notifications": {
        "type": "array",
        "description": "Receivers of what the sync controller does (CloudEvents or Slack-compatible webhooks).",
        "items": {
            "type": "object",
            "additionalProperties": False,
            "required": ["name", "url"],
            "properties": {
                "name": _label("The receiver's name, for logs."),
                "url": {
                    "type": "string",
                    "pattern": "^https?://[^\\s]+$",
                    "x-dockyard-error": "must be an http(s) URL",
                },
                "format": {"enum": ["cloudevents", "slack"]},
                "secretEnv": {
                    "type": "string",
                    "pattern": "^[A-Z_][A-Z0-9_]*$",
                    "x-dockyard-error": "must name an environment variable, such as OPS_HOOK_SECRET",
                    "description": "The environment variable of the controller that holds the signing key.",
                },
                "events": {
                    "type": "array",
                    "minItems": 1,
                    "uniqueItems": True,
                    "items": {"enum": ["applied", "failed", "drift-repaired", "service-added", "service-removed"]},
                },
            },
        },
    },
    "sync": {
        "type": "object",
        "description": "What the sync controller (`dockyard sync`) does.",
        "additionalProperties": False,
        "properties": {
            "drift": {
                "enum": ["repair", "report"],
                "description": "A live change to a managed field: put it back (repair, the default) or only report it.",
            },
            "controller": SYNC_CONTROLLER,
        },
    },
    "certificates": {
        "type": "object",
        "description": "TLS for the platform gateway (profiles with certificates).",
        "additionalProperties": False,
        "properties": {
            "issuer": {
                "type": "string",
                "minLength": 1,
                "description": "A cert-manager ClusterIssuer of your own (e.g. ACME); default: a platform CA.",
            }
        },
    },
    "checks": {
        "type": "object",
        "description": "How `dockyard check` (and apply) treat findings.",
        "additionalProperties": False,
        "properties": {
            "severity": {
                "type": "object",
                "description": "Per rule (a policy file name, or `schema`): deny, warn or off.",
                "additionalProperties": {"enum": ["deny", "warn", "off"]},
            },
            "waivers": {
                "type": "array",
                "description": "Findings accepted for a reason, until a date.",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["rule", "object", "reason", "expires"],
                    "properties": {
                        "rule": {"type": "string", "minLength": 1},
                        "object": {
                            "type": "string",
                            "minLength": 1,
                            "description": "The object as check prints it; * matches anything.",
                        },
                        "reason": {"type": "string", "minLength": 10},
                        "expires": {
                            "type": "string",
                            "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
                            "x-dockyard-error": "must be a date such as 2027-01-31",
                        },
                    },
                },
            },
        },
    },
    "identity": {
        "type": "object",
        "description": "How Dockyard reaches the platform's Keycloak for its lifecycle tasks.",
        "additionalProperties": False,
        "properties": {
            "adminUrl": {
                "type": "string",
                "pattern": "^https?://",
                "x-dockyard-error": "must be an http(s) URL such as https://sso.example.com",
                "description": "Keycloak's base URL from where apply runs (default: the API server's service proxy).",
            }
        },
    },
    "teams": {
        "type": "object",
        "description": "Each team's access and budget in its namespaces (the namespaces of its services).",
        "propertyNames": {"maxLength": 63, "pattern": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"},
        "additionalProperties": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "editors": {
                    "type": "array",
                    "items": {"type": "string", "minLength": 1},
                    "description": "Groups (as the API server names them from the sign-in's token) whose members "
                    "may change the team's namespaces (the cluster role `edit`).",
                },
                "viewers": {
                    "type": "array",
                    "items": {"type": "string", "minLength": 1},
                    "description": "Groups whose members may read them (the cluster role `view`).",
                },
                "hosts": {
                    "type": "array",
                    "items": {"type": "string", "pattern": r"^[a-z0-9*]([-a-z0-9.*]*[a-z0-9])?$"},
                    "description": "Host names (a single label is one under the platform domain; `*` matches "
                    "within a label) only this team's services may route: another team's route there is refused.",
                },
                "quota": {
                    "type": "object",
                    "description": "A ResourceQuota for each of the team's namespaces: its `hard` limits, such as "
                    "requests.cpu: '4', limits.memory: 16Gi, pods: '50'.",
                    "additionalProperties": {"type": ["string", "integer"]},
                },
                "limits": {
                    "type": "object",
                    "description": "A LimitRange for the containers of each of the team's namespaces.",
                    "additionalProperties": False,
                    "properties": {
                        key: {
                            "type": "object",
                            "additionalProperties": False,
                            "properties": {"cpu": QUANTITY_CPU, "memory": QUANTITY_MEMORY},
                        }
                        for key in ("default", "defaultRequest", "max")
                    },
                },
            },
        },
    },
    "platformAdmins": {
        "type": "array",
        "items": {"type": "string", "minLength": 1},
        "description": "Groups whose members administer the whole cluster (the cluster role `cluster-admin`).",
    },
    "console": {
        "type": "object",
        "description": "How the web console turns a change into git.",
        "additionalProperties": False,
        "properties": {
            "changes": {
                "enum": ["commit", "branch"],
                "description": "commit: on the checked-out branch (default); branch: a new branch for each change, "
                "pushed to `remote` for review as a merge or pull request (the working tree is not touched).",
            },
            "remote": {
                "type": "string",
                "pattern": "^[A-Za-z0-9][-_.A-Za-z0-9]*$",
                "description": "The git remote a change's branch is pushed to (default: none, the branch stays local).",
            },
            "review": {
                "type": "object",
                "description": "Open a pull request for each change's branch through the forge's API (with `changes: "
                "branch` and a `remote`). The token comes from the console's environment, never from the repo.",
                "additionalProperties": False,
                "required": ["forge", "api", "repository"],
                "properties": {
                    "forge": {
                        "enum": ["gitea", "github"],
                        "description": "gitea (Forgejo too) or github: both open a pull request with the same request.",
                    },
                    "api": {
                        "type": "string",
                        "pattern": "^https?://[^\\s/?#]+(/[^\\s?#]*)?$",
                        "x-dockyard-error": "must be the forge API's base URL, such as https://git.example.com/api/v1",
                        "description": "The API's base URL: https://git.example.com/api/v1 (Gitea, Forgejo) or "
                        "https://api.github.com. HTTPS; plain HTTP only to a loopback address.",
                    },
                    "repository": {
                        "type": "string",
                        "pattern": "^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$",
                        "x-dockyard-error": "must be owner/name, such as platform/shop",
                        "description": "The repository on the forge, as owner/name.",
                    },
                    "tokenEnv": {
                        "type": "string",
                        "pattern": "^DOCKYARD_FORGE_[A-Z0-9_]+$",
                        "x-dockyard-error": "must name an environment variable starting with DOCKYARD_FORGE_, such as "
                        "DOCKYARD_FORGE_TOKEN (a layer may not send another of the console's variables to a forge)",
                        "description": "The console's environment variable holding a token that may open pull "
                        "requests (default DOCKYARD_FORGE_TOKEN; always DOCKYARD_FORGE_...).",
                    },
                },
            },
            "inCluster": {
                "type": "boolean",
                "description": "Run the console in the cluster at console.<domain> behind the platform's SSO (the "
                "dockyard-console component), on a clone of `sync.controller.source` that it pushes changes to.",
            },
        },
    },
    "components": {
        "type": "object",
        "description": "Platform components by name.",
        "propertyNames": {"pattern": DNS_LABEL},
        "additionalProperties": COMPONENT,
    },
}


def _file(
    kind: str, api_version: str, description: str, properties: dict[str, Any], required: list[str]
) -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{SCHEMA_ROOT}/{api_version.split('/')[1]}/{kind.lower()}.json",
        "title": f"Dockyard {kind}",
        "description": description,
        "type": "object",
        "additionalProperties": False,
        "required": ["apiVersion", "kind", *required],
        "properties": {"apiVersion": {"const": api_version}, "kind": {"const": kind}, **properties},
    }


def _layer(
    kind: str, description: str, extra: dict[str, Any], required: list[str], api_version: str = API_VERSION
) -> dict[str, Any]:
    return _file(kind, api_version, description, {**extra, **LAYER_VALUES}, required)


CORE_RANGE = {
    "type": "string",
    "minLength": 1,
    "description": 'The Dockyard versions this repo is written for, as a version range such as ">=0.2,<0.3"; '
    "every command refuses to run on a repo outside its range.",
}
_PLATFORM_DESCRIPTION = "platform.yaml: the platform's name and the values every environment and cluster starts from."
PLATFORM = _layer(
    "Platform",
    _PLATFORM_DESCRIPTION,
    {"name": _label("The platform's name."), "dockyard": CORE_RANGE},
    ["name", "domain", "dockyard"],
    V1ALPHA2,
)
PLATFORM_V1ALPHA1 = _layer(
    "Platform",
    _PLATFORM_DESCRIPTION + " (v1alpha1: deprecated)",
    {"name": _label("The platform's name.")},
    ["name", "domain"],
)
ENVIRONMENT = _layer("Environment", "environments/<env>.yaml: values for one environment.", {}, [])
CLUSTER = _layer(
    "Cluster",
    "clusters/<cluster>.yaml: one cluster, the environment it runs, and its values.",
    {
        "environment": _label("The environment this cluster runs (a file in environments/)."),
        "kubernetes": {
            "type": "object",
            "additionalProperties": False,
            "required": ["version"],
            "properties": {
                "apiVersions": {
                    "type": "array",
                    "description": "Extra API versions charts may test for (beyond the platform's own CRDs).",
                    "items": {"type": "string", "minLength": 1},
                },
                "version": {
                    "type": "string",
                    "pattern": r"^1\.[0-9]+(\.[0-9]+)?$",
                    "x-dockyard-error": "must be a Kubernetes version such as 1.36 (quote it in YAML)",
                },
            },
        },
        "kubeContext": {"type": "string", "minLength": 1, "description": "The kubeconfig context to deploy to."},
    },
    ["environment", "kubernetes"],
)
SERVICE_SETTINGS_FILE = _file(
    "ServiceSettings",
    V1ALPHA1,
    "services/<name>/dockyard.yaml: Dockyard's settings for one service, beside its score.yaml.",
    SERVICE_SETTINGS["properties"],
    [],
)
SERVICE_OVERRIDE = _file(
    "ServiceOverride",
    V1ALPHA2,
    "services/<name>/overrides/<env>.yaml: a service's settings in one environment.",
    SERVICE_SETTINGS["properties"],
    [],
)
SERVICE_OVERRIDE_V1ALPHA1 = _file(
    "ServiceOverride",
    V1ALPHA1,
    "services/<name>/overrides/<env>.yaml (v1alpha1: deprecated): the settings under x-dockyard.",
    {"x-dockyard": SERVICE_SETTINGS},
    [],
)

_ANNOTATIONS = {"type": "object", "additionalProperties": {"type": "string"}}
_PROBE = {
    "type": "object",
    "additionalProperties": False,
    "minProperties": 1,
    "maxProperties": 1,
    "properties": {
        "httpGet": {
            "type": "object",
            "additionalProperties": False,
            "required": ["port", "path"],
            "properties": {
                "host": {"type": "string", "minLength": 1},
                "scheme": {"enum": ["HTTP", "HTTPS"]},
                "path": HTTP_PATH,
                "port": PORT,
                "httpHeaders": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["name", "value"],
                        "properties": {"name": {"type": "string"}, "value": {"type": "string"}},
                    },
                },
            },
        },
        "exec": {
            "type": "object",
            "additionalProperties": False,
            "required": ["command"],
            "properties": {"command": {"type": "array", "minItems": 1, "items": {"type": "string"}}},
        },
    },
}
_FILE_FIELDS = {
    "mode": {"type": "string", "pattern": "^0?[0-7]{3}$", "x-dockyard-error": "must be an octal mode such as 0644"},
    "source": RELATIVE_FILE,
    "content": {"type": "string"},
    "binaryContent": {"type": "string", "description": "The file's bytes, base64-encoded."},
    "noExpand": {"type": "boolean"},
}
_VOLUME_FIELDS = {"source": {"type": "string"}, "path": {"type": "string"}, "readOnly": {"type": "boolean"}}
_ABSOLUTE = {
    "type": "string",
    "pattern": "^(?:/(?!\\.\\.?(?:/|$))[^/\\x00-\\x1f\\x7f]+)+/?(?!\\n)$",
    "x-dockyard-error": "must be an absolute path in the container, without `.` or `..` parts",
}
_CONTAINER = {
    "type": "object",
    "additionalProperties": False,
    "required": ["image"],
    "properties": {
        "image": {
            **IMAGE,
            # `.`: supplied at deploy time; with a placeholder, checked once render has expanded it
            "pattern": str(IMAGE["pattern"]).replace("^(?:", "^(?:\\.|.*\\$\\{.*|", 1),
            "x-dockyard-error": f"{IMAGE['x-dockyard-error']}, or `.` to supply it at deploy time",
        },
        "command": {"type": "array", "items": {"type": "string"}},
        "args": {"type": "array", "items": {"type": "string"}},
        "variables": {
            "type": "object",
            "propertyNames": {"minLength": 1, "pattern": "^[^=]+$", "x-dockyard-error": "a variable's name has no `=`"},
            "additionalProperties": {"type": "string"},
        },
        "files": {
            "description": "Files to mount: a list with `target`, or a map from target path to file.",
            "anyOf": [
                {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["target"],
                        "properties": {"target": _ABSOLUTE, **_FILE_FIELDS},
                    },
                },
                {
                    "type": "object",
                    "propertyNames": _ABSOLUTE,
                    "additionalProperties": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": _FILE_FIELDS,
                    },
                },
            ],
        },
        "volumes": {
            "description": "Volumes to mount: a list with `target`, or a map from target path to volume.",
            "anyOf": [
                {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["source", "target"],
                        "properties": {"target": _ABSOLUTE, **_VOLUME_FIELDS},
                    },
                },
                {
                    "type": "object",
                    "propertyNames": _ABSOLUTE,
                    "additionalProperties": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["source"],
                        "properties": _VOLUME_FIELDS,
                    },
                },
            ],
        },
        "before": {
            "description": "Containers of this workload that start only once this one is `ready` (it runs as an "
            "init container: `complete` runs it to completion, `started` and `healthy` keep it running beside them).",
            "type": "object",
            "propertyNames": {"pattern": DNS_LABEL, "minLength": 2, "maxLength": 63},
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "required": ["ready"],
                "properties": {"ready": {"enum": ["started", "healthy", "complete"]}},
            },
        },
        "resources": RESOURCES,
        "livenessProbe": _PROBE,
        "readinessProbe": _PROBE,
    },
}
SCORE = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": f"{SCHEMA_ROOT}/v1alpha1/score.json",
    "title": "Score workload (score.dev/v1b1)",
    "description": "services/<name>/score.yaml: one service.",
    "type": "object",
    "additionalProperties": False,
    "required": ["apiVersion", "metadata", "containers"],
    "patternProperties": {"^x-": {}},
    "properties": {
        "apiVersion": {"const": SCORE_API_VERSION},
        "metadata": {
            "type": "object",
            "required": ["name"],
            "properties": {
                "name": _label("The service's name; it must match its directory."),
                "annotations": _ANNOTATIONS,
            },
        },
        "service": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "ports": {
                    "type": "object",
                    "propertyNames": {"pattern": DNS_LABEL, "minLength": 2, "maxLength": 15},
                    "additionalProperties": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["port"],
                        "properties": {"port": PORT, "targetPort": PORT, "protocol": {"enum": ["TCP", "UDP"]}},
                    },
                }
            },
        },
        "containers": {
            "type": "object",
            "minProperties": 1,
            "propertyNames": {"pattern": DNS_LABEL, "minLength": 2, "maxLength": 63},
            "additionalProperties": _CONTAINER,
        },
        "resources": {
            "type": "object",
            "propertyNames": {"pattern": DNS_LABEL, "minLength": 2, "maxLength": 63},
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "required": ["type"],
                "properties": {
                    "type": {"type": "string", "minLength": 1},
                    "class": {"type": "string"},
                    "id": {"type": "string"},
                    "metadata": {"type": "object", "properties": {"annotations": _ANNOTATIONS}},
                    "params": {"type": "object"},
                },
            },
        },
        "x-dockyard": {
            **SERVICE_SETTINGS,
            "deprecated": True,
            "description": "Deprecated since Dockyard 0.2: Dockyard's settings live in services/<name>/dockyard.yaml "
            "(`dockyard migrate` moves them).",
        },
    },
}

_TEMPLATE_STRING = {
    "type": "string",
    "description": "Text; ${service}, ${id}, ${namespace}, ${domain}, "
    "${platform}, ${environment} and ${params.<name>} are replaced.",
}
PROVISIONER = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": f"{SCHEMA_ROOT}/v1alpha1/provisioner.json",
    "title": "Dockyard Provisioner",
    "description": "provisioners/<type>.yaml: a resource type of this platform repo's own.",
    "type": "object",
    "additionalProperties": False,
    "required": ["apiVersion", "kind", "description"],
    "properties": {
        "apiVersion": {"const": API_VERSION},
        "kind": {"const": "Provisioner"},
        "description": {"type": "string", "minLength": 1},
        "params": {
            "type": "object",
            "description": "Accepted params, each with a description.",
            "additionalProperties": {"type": "string"},
        },
        "defaults": {
            "type": "object",
            "description": "Default values of params.",
            "additionalProperties": {"type": ["string", "integer", "boolean"]},
        },
        "outputs": {
            "type": "object",
            "description": "Outputs: text, or a reference to a key of a Secret.",
            "additionalProperties": {
                "anyOf": [
                    _TEMPLATE_STRING,
                    {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["secretRef"],
                        "properties": {
                            "secretRef": {
                                "type": "object",
                                "additionalProperties": False,
                                "required": ["name", "key"],
                                "properties": {"name": _TEMPLATE_STRING, "key": _TEMPLATE_STRING},
                            }
                        },
                    },
                ]
            },
        },
        "manifests": {
            "type": "array",
            "description": "Kubernetes objects to render; without metadata.namespace they go to the service's.",
            "items": {
                "type": "object",
                "required": ["apiVersion", "kind", "metadata"],
                "properties": {"metadata": {"type": "object", "required": ["name"]}},
            },
        },
        "egress": {
            "type": "array",
            "description": "Connections the service may make because of this resource.",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["namespace"],
                "properties": {
                    "namespace": {"type": "string"},
                    "podLabels": {"type": "object", "additionalProperties": {"type": "string"}},
                    "ports": {"type": "array", "items": PORT},
                },
            },
        },
    },
}

BY_KIND: dict[str, dict[str, Any]] = {
    "platform": PLATFORM,
    "environment": ENVIRONMENT,
    "cluster": CLUSTER,
    "score": SCORE,
    "servicesettings": SERVICE_SETTINGS_FILE,
    "serviceoverride": SERVICE_OVERRIDE,
    "provisioner": PROVISIONER,
}
"""The current schema of every file kind (what `dockyard schema` exports), by file kind."""

OLDER: dict[str, dict[str, dict[str, Any]]] = {
    "platform": {V1ALPHA1: PLATFORM_V1ALPHA1},
    "serviceoverride": {V1ALPHA1: SERVICE_OVERRIDE_V1ALPHA1},
}
"""Schemas of older versions that still load (deprecated: load/versions.py says so), by kind and apiVersion."""


def schema_for(kind: str, data: Any) -> dict[str, Any] | None:
    """The schema a file is checked with: the version its apiVersion names, when Dockyard still
    reads that version, else the current one (which then reports the apiVersion). None: a file
    Dockyard reads as YAML only (a contract)."""
    api_version = data.get("apiVersion") if isinstance(data, dict) else None
    older = OLDER.get(kind, {})
    return older[api_version] if isinstance(api_version, str) and api_version in older else BY_KIND.get(kind)
