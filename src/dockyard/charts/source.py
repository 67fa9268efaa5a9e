"""Where a component's chart comes from, exactly: a Helm repository, an OCI registry, or a
directory of a tagged Go module (for upstreams that publish plain manifests, and for charts
whose source repository's tag is served by the Go module proxy).

A source says *what* (name and version); `charts.lock` says *which bytes* (the digest).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_ARCHIVE_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class ChartSource:
    """One pinned chart or manifest bundle. Exactly one of repository, oci, gomodule is set."""

    name: str
    version: str
    kind: str = "helm"
    """helm: a chart rendered with `helm template`; manifests: YAML files applied as they are."""
    repository: str | None = None
    """https URL of a Helm chart repository (its index.yaml)."""
    oci: str | None = None
    """oci:// reference of the chart without its version, e.g. oci://ghcr.io/org/charts/name."""
    gomodule: str | None = None
    """A Go module path; `version` is the module version and `path` the directory or file in it."""
    path: str | None = None
    values_template: str | None = None
    """For a chart in a module's source tree whose release process writes values.yaml from a
    template (`values.tmpl.yaml`): that file, read as YAML, with `placeholders` filled in."""
    placeholders: tuple[tuple[str, str], ...] = ()
    """(name, value) for each `${name}` in the values template, as the upstream's release fills them."""
    without: tuple[str, ...] = ()
    """Dependencies of the chart in a module's source tree left out of the packed chart (Chart.yaml
    loses them): optional subcharts, off by default, whose own source is not served here. Their
    values cannot switch them on (render says so)."""

    @classmethod
    def from_values(cls, values: dict[str, Any]) -> ChartSource:
        return cls(
            name=values["name"],
            version=str(values["version"]),
            kind=values.get("kind", "helm"),
            repository=values.get("repository"),
            oci=values.get("oci"),
            gomodule=values.get("gomodule"),
            path=values.get("path"),
            values_template=values.get("valuesTemplate"),
            placeholders=tuple(sorted((values.get("placeholders") or {}).items())),
            without=tuple(values.get("without") or ()),
        )

    @property
    def origin(self) -> str:
        """A one-line description, as charts.lock and messages show it."""
        if self.repository:
            return f"{self.repository} {self.name} {self.version}"
        if self.oci:
            return f"{self.oci}:{self.version}"
        where = f"/{self.path}" if self.path else ""
        return f"go module {self.gomodule}@{self.version}{where}"

    def lock_fields(self) -> dict[str, str]:
        """The fields charts.lock records to tell whether an entry is still this source."""
        fields = {"kind": self.kind, "version": self.version}
        for key in ("repository", "oci", "gomodule", "path"):
            value = getattr(self, key)
            if value:
                fields[key] = value
        if self.values_template:
            fields["valuesTemplate"] = self.values_template
            fields["placeholders"] = ",".join(f"{name}={value}" for name, value in self.placeholders)
        if self.without:
            fields["without"] = ",".join(self.without)
        fields["chart"] = self.name
        return fields

    def archive_name(self) -> str:
        """The file name under charts/: the chart's name and version, made filesystem-safe."""
        return _ARCHIVE_SAFE.sub("_", f"{self.name}-{self.version}") + ".tgz"
