"""Which object a manifest is: group, kind, namespace and name (the version may change; the object does not)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

CLUSTER_SCOPED = frozenset(
    {
        "APIService",
        "CSIDriver",
        "CSINode",
        "CertificateSigningRequest",
        "ClusterIssuer",
        "ClusterRole",
        "ClusterRoleBinding",
        "CustomResourceDefinition",
        "FlowSchema",
        "GatewayClass",
        "IngressClass",
        "MutatingAdmissionPolicy",
        "MutatingAdmissionPolicyBinding",
        "MutatingWebhookConfiguration",
        "Namespace",
        "Node",
        "PersistentVolume",
        "PriorityClass",
        "PriorityLevelConfiguration",
        "RuntimeClass",
        "StorageClass",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "ValidatingWebhookConfiguration",
        "VolumeAttachment",
    }
)
"""Kinds of the Kubernetes API that have no namespace (a CRD says its own scope)."""


@dataclass(frozen=True, order=True)
class ObjectId:
    """An object by group, kind, namespace and name (the version may change; the object does not)."""

    group: str
    kind: str
    namespace: str
    name: str

    @classmethod
    def of(cls, manifest: Mapping[str, Any]) -> ObjectId:
        api_version = str(manifest["apiVersion"])
        group = api_version.split("/")[0] if "/" in api_version else ""
        metadata = manifest["metadata"]
        return cls(group, str(manifest["kind"]), str(metadata.get("namespace") or ""), str(metadata["name"]))

    def __str__(self) -> str:
        kind = f"{self.kind}.{self.group}" if self.group else self.kind
        return f"{kind} {self.namespace}/{self.name}" if self.namespace else f"{kind} {self.name}"

    def encode(self) -> str:
        """One line of the stored inventory: namespace_name_group_kind (as Flux writes it)."""
        return f"{self.namespace}_{self.name}_{self.group}_{self.kind}"

    @classmethod
    def decode(cls, line: str) -> ObjectId:
        namespace, name, group, kind = line.split("_", 3)
        return cls(group, kind, namespace, name)


_API_VERSION = re.compile(r"(?:[a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?v[0-9][a-z0-9]*")
_KIND = re.compile(r"[A-Za-z][A-Za-z0-9]{0,62}")
_NAMESPACE = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
_NAME = re.compile(r"[!-~]{1,253}")
"""Printable ASCII without spaces; '/' and '%' are refused below, as the API server refuses them in
any name (they would change the request's path)."""


def identity_problem(manifest: Any) -> str | None:
    """Why `manifest` cannot be an object of the API server (and so cannot be named by a file or a
    request), or None when its apiVersion, kind, namespace and name are all well-formed."""
    if not isinstance(manifest, Mapping):
        return "a rendered object must be a mapping"
    api_version, kind = manifest.get("apiVersion"), manifest.get("kind")
    metadata = manifest.get("metadata")
    if not isinstance(api_version, str) or not _API_VERSION.fullmatch(api_version):
        return f"apiVersion {_shown(api_version)} is not a Kubernetes API version (group/version or v1)"
    if not isinstance(kind, str) or not _KIND.fullmatch(kind):
        return f"kind {_shown(kind)} is not a Kubernetes kind (letters and digits)"
    if not isinstance(metadata, Mapping):
        return f"{kind} has no metadata"
    name, namespace = metadata.get("name"), metadata.get("namespace")
    if not isinstance(name, str) or not _NAME.fullmatch(name) or name in (".", "..") or "/" in name or "%" in name:
        return f"{kind} name {_shown(name)} is not a valid object name (at most 253 characters, no `/` or `%`)"
    if namespace is not None and (not isinstance(namespace, str) or not _NAMESPACE.fullmatch(namespace)):
        return f"{kind} {name}: namespace {_shown(namespace)} is not a DNS-1123 label"
    return None


def _shown(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    return "`" + text[:80].encode("unicode_escape").decode("ascii") + ("…" if len(text) > 80 else "") + "`"
