"""A finding: which object, which field, which rule, how bad, and the source that produced it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from dockyard.errors import Position, printable


class Severity(StrEnum):
    DENY = "deny"
    """Blocks apply."""
    WARN = "warn"
    WAIVED = "waived"
    """Accepted by a waiver (reported, never blocking)."""


@dataclass(frozen=True, order=True)
class Finding:
    source: Position
    """Where the object comes from: the service's line (or the layer value) that produced it."""
    object: str
    """Kind namespace/name, as `plan` prints it."""
    path: str
    """The field, dotted (`spec.template.spec.containers[0].image`), or empty for the whole object."""
    rule: str
    message: str
    severity: Severity = Severity.DENY
    hint: str = ""
    """What to do about it, when the message does not say."""

    def __str__(self) -> str:
        field = f" {self.path}:" if self.path else ""
        text = f"{self.source}: {self.object}:{field} {self.message} [{self.rule}, {self.severity}]"
        return printable(text) + (f"\n  hint: {printable(self.hint)}" if self.hint else "")

    def as_dict(self) -> dict[str, str]:
        """As `check --output json` prints it."""
        return {
            "source": str(self.source),
            "object": self.object,
            "path": self.path,
            "rule": self.rule,
            "message": self.message,
            "severity": str(self.severity),
            "hint": self.hint,
        }
