"""Provisioners a platform repo defines itself, in `provisioners/<type>.yaml`.

Such a file declares params (with defaults), outputs (text, or a Secret reference) and the
Kubernetes objects to render, as YAML data. Strings in it may name `${service}`, `${id}`,
`${namespace}`, `${domain}`, `${platform}`, `${environment}` and `${params.<name>}`; they are
replaced value by value in the parsed data (never by templating text), and `$$` is a literal `$`.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from dockyard.load.yamlsafe import Document
from dockyard.render.bundle import Rendered, Stage
from dockyard.render.object_id import CLUSTER_SCOPED
from dockyard.render.placeholders import PLACEHOLDER, Output, SecretRef
from dockyard.render.provisioners.base import Peer, Provision, Provisioner, ProvisionError, Request


def from_document(type_: str, document: Document) -> Provisioner:
    spec = document.data

    def provision(request: Request) -> Provision:
        variables = _variables(request, spec)
        outputs: dict[str, Output] = {}
        for name, value in (spec.get("outputs") or {}).items():
            if isinstance(value, dict):
                reference = value["secretRef"]
                outputs[name] = SecretRef(
                    _substitute(reference["name"], variables), _substitute(reference["key"], variables)
                )
            else:
                outputs[name] = _substitute(value, variables)
        objects = []
        for manifest in spec.get("manifests") or []:
            rendered = _walk(copy.deepcopy(manifest), variables)
            _confine(rendered, request.namespace, type_)
            objects.append(Rendered(rendered, Stage.SERVICES, request.source))
        egress = [
            Peer(
                _substitute(rule["namespace"], variables),
                dict(rule.get("podLabels", {})),
                tuple(("TCP", port) for port in rule.get("ports", [])),
            )
            for rule in spec.get("egress") or []
        ]
        rendered_secrets = {o.name for o in objects if o.kind == "Secret"}
        external: dict[str, set[str]] = {}
        for output in outputs.values():
            if isinstance(output, SecretRef) and output.secret not in rendered_secrets:
                external.setdefault(output.secret, set()).add(output.key)
        return Provision(outputs=outputs, objects=objects, egress=egress, external=external)

    return Provisioner(
        type_, tuple(sorted(spec.get("outputs") or {})), provision, spec["description"], dict(spec.get("params") or {})
    )


def _confine(manifest: dict[str, Any], namespace: str, type_: str) -> None:
    """A platform repo's provisioner renders into the service's namespace only: never another
    namespace, never a cluster-scoped kind (a team's resource must not reach past its team)."""
    kind = manifest.get("kind")
    if kind in CLUSTER_SCOPED:
        raise ProvisionError(
            f"provisioner `{type_}` renders a {kind}, which has no namespace; "
            "custom provisioners may only render objects in the service's namespace"
        )
    metadata = manifest["metadata"]
    written = metadata.get("namespace", namespace)
    if written != namespace:
        raise ProvisionError(
            f"provisioner `{type_}` renders {kind} {metadata.get('name')} into namespace `{written}`; "
            f"custom provisioners may only render objects in the service's namespace (`{namespace}`)"
        )
    metadata["namespace"] = namespace


def _variables(request: Request, spec: dict[str, Any]) -> dict[str, str]:
    declared = spec.get("params") or {}
    unknown = sorted(set(request.resource.params) - set(declared))
    if unknown:
        known = ", ".join(sorted(declared)) or "none"
        raise ProvisionError(f"resource `{request.resource.id}`: unknown param {', '.join(unknown)} (params: {known})")
    variables = {
        "service": request.service.name,
        "id": request.resource.id,
        "namespace": request.namespace,
        "domain": request.platform.domain,
        "platform": request.platform.name,
        "environment": request.platform.cluster.environment,
    }
    for name in declared:
        value = request.resource.params.get(name, (spec.get("defaults") or {}).get(name))
        if value is None:
            raise ProvisionError(f"resource `{request.resource.id}` needs params.{name}")
        variables[f"params.{name}"] = _substitute(str(value), variables)
    return variables


def _substitute(text: str, variables: dict[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group(1)
        if name not in variables:
            raise ProvisionError(f"`${{{name}}}` is not a provisioner variable ({', '.join(sorted(variables))})")
        return variables[name]

    return PLACEHOLDER.sub(replace, text)


def _walk(value: Any, variables: dict[str, str]) -> Any:
    if isinstance(value, str):
        return _substitute(value, variables)
    if isinstance(value, dict):
        return {key: _walk(item, variables) for key, item in value.items()}
    if isinstance(value, list):
        return [_walk(item, variables) for item in value]
    return value
