"""Score placeholders: `${metadata.name}`, `${resources.<id>.<output>}`, and `$$` for a literal `$`.

An output is either plain text or a reference to a key of a Secret; secret values never
appear in rendered output. `expand` returns the pieces of a value so the caller can turn
a value that contains a secret into `secretKeyRef` environment variables.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

PLACEHOLDER = re.compile(r"\$\$|\$\{([^}]*)\}")


@dataclass(frozen=True)
class SecretRef:
    """A value held in a Secret: its name and key."""

    secret: str
    key: str


Output = str | SecretRef
Piece = str | SecretRef


class Unresolvable(Exception):
    """A placeholder names something that does not exist; the message says what, for the user."""


@dataclass(frozen=True)
class Context:
    """What placeholders can name: the workload's metadata and each resource's outputs."""

    metadata: Mapping[str, Any]
    outputs: Mapping[str, Mapping[str, Output]]


def expand(text: str, context: Context) -> list[Piece]:
    """`text` as plain strings and secret references, in order; adjacent strings are joined."""
    pieces: list[Piece] = []
    position = 0
    for match in PLACEHOLDER.finditer(text):
        _append(pieces, text[position : match.start()])
        position = match.end()
        if match.group(0) == "$$":
            _append(pieces, "$")
            continue
        value = resolve(match.group(1), context)
        if isinstance(value, SecretRef):
            pieces.append(value)
        else:
            _append(pieces, value)
    _append(pieces, text[position:])
    return pieces


def expand_plain(text: str, context: Context, what: str) -> str:
    """`text` expanded where secrets are not allowed (file contents, names, annotations)."""
    pieces = expand(text, context)
    secrets = [p for p in pieces if isinstance(p, SecretRef)]
    if secrets:
        raise Unresolvable(f"{what} cannot hold a secret output; pass it as a container variable instead")
    return "".join(p for p in pieces if isinstance(p, str))


def split_reference(reference: str) -> list[str]:
    """`metadata.annotations.my\\.key` as its parts: a dot written `\\.` belongs to the key (Score)."""
    return [part.replace("\0", ".") for part in reference.replace("\\.", "\0").split(".")]


def resolve(reference: str, context: Context) -> Output:
    parts = split_reference(reference)
    if parts[0] == "metadata" and len(parts) >= 2:
        value: Any = context.metadata
        for part in parts[1:]:
            if not isinstance(value, Mapping) or part not in value:
                raise Unresolvable(f"`${{{reference}}}`: the workload's metadata has no `{'.'.join(parts[1:])}`")
            value = value[part]
        if not isinstance(value, str | int | float | bool):
            raise Unresolvable(f"`${{{reference}}}` is not a single value")
        return str(value)
    if parts[0] == "resources" and len(parts) == 3:
        resource, output = parts[1], parts[2]
        if resource not in context.outputs:
            known = ", ".join(sorted(context.outputs)) or "none"
            raise Unresolvable(f"`${{{reference}}}`: no resource `{resource}` in this workload (resources: {known})")
        outputs = context.outputs[resource]
        if output not in outputs:
            known = ", ".join(sorted(outputs)) or "none"
            raise Unresolvable(f"`${{{reference}}}`: resource `{resource}` has no output `{output}` (outputs: {known})")
        return outputs[output]
    raise Unresolvable(
        f"`${{{reference}}}` is not a placeholder Dockyard knows; use ${{metadata.<key>}} or "
        "${resources.<id>.<output>}, and $$ for a literal $"
    )


def _append(pieces: list[Piece], text: str) -> None:
    if not text:
        return
    if pieces and isinstance(pieces[-1], str):
        pieces[-1] = pieces[-1] + text
    else:
        pieces.append(text)
