"""Every Secret and ConfigMap a pod reads (env, envFrom, volumes) will exist, with the key it reads:
in the render, made by a lifecycle task, or made at run time by a controller the render installs.
Every Service an admission webhook or an APIService sends to exists too, and the store of every
ExternalSecret (a warning: a store may be made elsewhere)."""

from __future__ import annotations

from dockyard.check.findings import Finding, Severity
from dockyard.check.wiring.facts import Facts
from dockyard.check.wiring.placed import finding
from dockyard.render.pods import reads

RULE = "wiring-reference"
MISSING_HINT = (
    "correct the name, or make it: a `secret` resource of the service (one managed outside Dockyard), "
    "`components.<name>.secrets` (from the repo's encrypted secrets), or a ConfigMap of the render"
)
KEY_HINT = "read one of the keys it has, or add the key where it is made"


def check_references(facts: Facts) -> list[Finding]:
    found: dict[Finding, None] = {}
    for pod in facts.pods:
        for read in reads(pod.spec, pod.path):
            problem = _missing(facts, read.kind, pod.namespace, read.name, read.key)
            if problem:
                hint = MISSING_HINT if "which nothing on this cluster creates" in problem else KEY_HINT
                found[finding(pod.owner, RULE, problem, text=read.name, whole=True, path=read.path, hint=hint)] = None
    findings = list(found)
    findings += _stores(facts)
    for rendered in facts.of_kind("ValidatingWebhookConfiguration", "MutatingWebhookConfiguration", "APIService"):
        hooks = rendered.manifest.get("webhooks") or [{"clientConfig": rendered.manifest.get("spec") or {}}]
        for index, hook in enumerate(hooks):
            service = (hook.get("clientConfig") or {}).get("service")
            if not service or (service.get("namespace"), service.get("name")) in facts.services:
                continue
            message = (
                f"sends to Service {service.get('namespace')}/{service.get('name')}, which nothing on this "
                "cluster creates: the API server would refuse what this hook is asked about"
            )
            path = f"webhooks[{index}].clientConfig.service" if "webhooks" in rendered.manifest else "spec.service"
            findings.append(finding(rendered, RULE, message, text=str(service.get("name")), whole=True, path=path))
    return findings


def _stores(facts: Facts) -> list[Finding]:
    """Each ExternalSecret's store is in the render (a ClusterSecretStore, or a SecretStore of its
    namespace); one made elsewhere may exist, so a store not found is a warning."""
    clustered = {s.name for s in facts.of_kind("ClusterSecretStore")}
    namespaced = {(s.namespace, s.name) for s in facts.of_kind("SecretStore")}
    found = []
    for external in facts.of_kind("ExternalSecret"):
        ref = (external.manifest.get("spec") or {}).get("secretStoreRef") or {}
        kind, name = ref.get("kind") or "SecretStore", str(ref.get("name"))
        if name in clustered if kind == "ClusterSecretStore" else (external.namespace, name) in namespaced:
            continue
        where = "the cluster" if kind == "ClusterSecretStore" else f"namespace {external.namespace}"
        message = (
            f"reads its values through {kind} {name}, which nothing on this cluster creates: the External "
            "Secrets Operator makes no Secret without it"
        )
        hint = f"add {kind} {name} for {where} (a ClusterSecretStore: components.external-secrets.values.extraObjects)"
        path = "spec.secretStoreRef.name"
        found.append(
            finding(external, RULE, message, text=name, whole=True, path=path, hint=hint, severity=Severity.WARN)
        )
    return found


def _missing(facts: Facts, kind: str, namespace: str, name: str, key: str | None) -> str | None:
    stored = facts.stored_object(kind, namespace, name)
    if stored is None:
        return (
            f"reads {kind} {namespace}/{name}, which nothing on this cluster creates (not in the render, "
            "not made by a lifecycle task or a controller)"
        )
    if key is not None and stored.keys is not None and key not in stored.keys:
        keys = ", ".join(sorted(stored.keys)) or "none"
        return f"reads key `{key}` of {kind} {namespace}/{name}, which {stored.made_by} makes with keys {keys}"
    return None
