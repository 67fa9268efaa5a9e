"""Which object a manifest is: group, kind, namespace and name (the version may change; the object does not)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


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
