"""What a plan may skip without asking the API server: an object whose rendered intent is what was
applied last time, and whose live state is still what the last apply left.

After each apply the inventory records, per object, a hash of the manifest Dockyard applied (its
intent, salted with Dockyard's version, so a new release plans everything once) and a hash of
the live object as the apply left it (its marker: everything but `status` and the bookkeeping the
API server changes on every write). A plan lists the live objects (one request per kind and
namespace) and dry-runs only the objects whose intent or marker differs: a new or changed
render, or a live object someone or something changed since (drift). Everything else is
unchanged without a request of its own.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from dockyard import __version__

BOOKKEEPING = ("resourceVersion", "managedFields", "generation")
"""Metadata the API server rewrites on every write to an object, whatever changed."""


@dataclass(frozen=True)
class Observed:
    intent: str
    marker: str

    def encode(self) -> str:
        return f"{self.intent} {self.marker}"

    @classmethod
    def decode(cls, text: str) -> Observed | None:
        intent, _space, marker = text.partition(" ")
        return cls(intent, marker) if intent and marker else None


def intent(manifest: Mapping[str, Any]) -> str:
    """A Secret's values are left out (a repo secret's digest annotation says when one changed)."""
    if manifest.get("kind") == "Secret":
        manifest = {key: value for key, value in manifest.items() if key not in ("data", "stringData")}
    return _hash({"dockyard": __version__, "manifest": manifest})


def without_values(manifest: Mapping[str, Any], kind: str | None = None) -> Mapping[str, Any]:
    """A Secret with its values replaced by a keyed digest: no hash the inventory records can be
    tested against a guessed value. The key lives only as long as this process, so a marker
    recorded by another process never matches one of a Secret (a plan dry-runs every Secret
    anyway: see plan.py), while the sync controller's drift watch still sees a changed value."""
    if (kind or manifest.get("kind")) != "Secret":
        return manifest
    kept = {key: value for key, value in manifest.items() if key not in ("data", "stringData")}
    values = {"data": manifest.get("data"), "stringData": manifest.get("stringData")}
    encoded = orjson.dumps(values, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS, default=str)
    kept["values"] = hmac.new(_VALUES_KEY, encoded, hashlib.sha256).hexdigest()
    return kept


_VALUES_KEY = os.urandom(32)


def marker(live: Mapping[str, Any], kind: str | None = None) -> str:
    """A LIST's items may lack `apiVersion` and `kind` where a GET has them: neither is content.

    An object's uid and resourceVersion name one content of it (the API server changes the
    resourceVersion with every write), so the marker of a version seen before is not computed
    again: a plan of thousands of unchanged objects hashes none of them. Only for objects read
    from the cluster: a dry run's answer keeps the live resourceVersion with other content.
    `kind`: the object's kind when `live` may lack it (a LIST's item)."""
    metadata = live.get("metadata")
    version = None
    if isinstance(metadata, Mapping) and metadata.get("uid") and metadata.get("resourceVersion"):
        version = (str(metadata["uid"]), str(metadata["resourceVersion"]))
        known = _MARKERS.get(version)
        if known is not None:
            return known
    shown = without_values(live, kind)
    kept = {key: value for key, value in shown.items() if key not in ("status", "apiVersion", "kind")}
    if isinstance(metadata, Mapping):
        kept["metadata"] = {key: value for key, value in metadata.items() if key not in BOOKKEEPING}
    found = _hash(kept)
    if version is not None:
        if len(_MARKERS) >= MARKERS_KEPT:
            _MARKERS.clear()
        _MARKERS[version] = found
    return found


MARKERS_KEPT = 100_000
_MARKERS: dict[tuple[str, str], str] = {}
"""Markers by (uid, resourceVersion), for as many objects as a large platform has."""


def _hash(value: Any) -> str:
    encoded = orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS, default=str)
    return hashlib.sha256(encoded).hexdigest()[:32]
