"""The form's secrets: a service's `secret` resources, each a name, the keys it holds and where the
values come from. The console never sees a value: from `outside` people make the Secret, from
`repo` the values are the repo's encrypted secrets (`dockyard secrets set`), from `store` a secret
manager holds them. Each key is given to the container as a variable (`SMTP_PASSWORD` for the key
`password` of `smtp`) by reference, as a database's password is."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from dockyard.console import settings_form
from dockyard.console.resource_ids import ID, NameTaken, describe
from dockyard.console.rows import parse_rows, posted_rows
from dockyard.errors import printable
from dockyard.render.provisioners.secret import SOURCES

KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
"""A key of a Kubernetes Secret (a dot in it is escaped in a placeholder: `${resources.tls.ca\\.crt}`)."""
STORE = re.compile(r"^[a-z0-9]([-.a-z0-9]*[a-z0-9])?$")
"""The name of a (Cluster)SecretStore."""
ONLY_FOR = {"path": "repo", "store": "store", "storeKind": "store", "remoteKey": "store", "refresh": "store"}
"""Params that belong to one source: dropped when the form moves a secret to another."""
ROW_FIELDS = ("secret_id", "secret_keys", "secret_from", "secret_store")
"""The page's fields, posted once per row (the API takes `secrets`, a list of objects)."""


@dataclass(frozen=True)
class SecretForm:
    id: str
    """The resource's id: its keys are `${resources.<id>.<key>}`."""
    keys: tuple[str, ...]
    source: str = "outside"
    store: str = ""
    """With `store`: the ClusterSecretStore (or SecretStore) that reaches the secret manager."""

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "keys": list(self.keys), "from": self.source, "store": self.store}


def variable(secret: str, key: str) -> str:
    """The variable a secret's key is given in: SMTP_PASSWORD for `password` of `smtp`,
    PROVIDER_API_KEY for `apiKey` of `provider`."""
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", f"{secret}_{key}")
    return re.sub(r"[^A-Z0-9]", "_", words.upper())


def reference(secret: str, key: str) -> str:
    """The placeholder of a secret's key (a dot in the key escaped)."""
    return "${resources." + secret + "." + key.replace(".", "\\.") + "}"


def automatic(secrets: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    """Each key's variable, with the reference it holds, for secrets by id."""
    return {variable(rid, key): reference(rid, key) for rid, keys in secrets.items() for key in keys}


def rows(posted: Mapping[str, Any]) -> list[dict[str, Any]] | None:
    """The page's rows as the API's objects (a row left empty is no secret); None when the page
    posted none (the request does not name the secrets)."""
    found = posted_rows(posted, ROW_FIELDS)
    if found is None:
        return None
    return [
        {"id": rid, "keys": keys, "from": source or "outside", "store": store}
        for rid, keys, source, store in ([value.strip() for value in row] for row in found)
        if rid or keys or store
    ]


def parse(raw: Any) -> tuple[tuple[SecretForm, ...] | None, list[str]]:
    """The secrets a request names (a list of objects with id, keys, from and store; keys a list or
    text separated by commas or spaces), and what is wrong with them; None when it names none."""
    found, problems = parse_rows(raw, ("secret", "secrets"), ("id", "keys", "from", "store"), _secret, _same_name)
    given: dict[str, tuple[str, str]] = {}
    for secret in found or ():
        for key in secret.keys:
            name = variable(secret.id, key)
            if name in given and not problems:
                other = given[name]
                problems.append(
                    f"`{key}` of `{secret.id}` and `{other[1]}` of `{other[0]}` would both be given as `{name}`: "
                    "rename one of the keys"
                )
            given.setdefault(name, (secret.id, key))
    return found, problems


def _same_name(secret: SecretForm, before: list[SecretForm]) -> str | None:
    return (
        f"`{secret.id}` names two secrets: give each its own name" if any(s.id == secret.id for s in before) else None
    )


def _secret(item: Mapping[str, Any]) -> SecretForm | str:
    """The secret `item` names, or what is wrong with it."""
    rid, keys = item.get("id"), _keys(item.get("keys"))
    if rid in (None, ""):
        which = f"the secret with the keys `{printable(', '.join(keys)[:63])}`" if keys else "a secret"
        return f"{which} has no name: give it one (lower-case letters, digits and dashes)"
    if not isinstance(rid, str) or not ID.fullmatch(rid) or len(rid) > 63:
        shown = printable(str(rid)[:63])
        return f"`{shown}` is not a secret's name: lower-case letters, digits and dashes, starting with a letter"
    if not keys:
        return f"secret `{rid}`: list its keys, e.g. `username, password`"
    wrong = next((k for k in keys if not KEY.fullmatch(k) or k in (".", "..") or len(k) > 253), None)
    if wrong is not None:
        return f"secret `{rid}`: `{printable(wrong[:63])}` is not a key (letters, digits, `-`, `_` and `.`)"
    source = item.get("from")
    source = "outside" if source in (None, "") else source
    if source not in SOURCES:
        return f"secret `{rid}`: choose where its values come from: {', '.join(SOURCES)}"
    store = item.get("store")
    store = "" if store is None else store
    if not isinstance(store, str) or (source == "store" and not STORE.fullmatch(store.strip())):
        return f"secret `{rid}`: name the ClusterSecretStore that reaches the secret manager"
    return SecretForm(rid, keys, source, store.strip() if source == "store" else "")


def _keys(raw: Any) -> tuple[str, ...] | None:
    if isinstance(raw, str):
        raw = re.split(r"[\s,]+", raw.strip()) if raw.strip() else []
    if not isinstance(raw, list) or not all(isinstance(k, str) for k in raw):
        return None
    return tuple(dict.fromkeys(k.strip() for k in raw if k.strip()))


def present(resources: Any) -> dict[str, tuple[str, ...]]:
    """The service's `secret` resources and their keys, by id."""
    found: dict[str, tuple[str, ...]] = {}
    for rid, resource in (resources or {}).items():
        if isinstance(resource, dict) and resource.get("type") == "secret":
            params = resource.get("params")
            keys = params.get("keys") if isinstance(params, dict) else None
            found[str(rid)] = tuple(str(k) for k in keys) if isinstance(keys, list) else ()
    return found


def shown(resources: Any) -> list[dict[str, Any]]:
    """The rows the edit form starts from."""
    rows_: list[dict[str, Any]] = []
    for rid, keys in present(resources).items():
        params = resources[rid].get("params")
        params = params if isinstance(params, dict) else {}
        source, store = params.get("from") or "outside", params.get("store") or ""
        rows_.append({"id": rid, "keys": ", ".join(keys), "from": str(source), "store": str(store)})
    return rows_


def write(resources: CommentedMap, wanted: tuple[SecretForm, ...] | None) -> dict[str, tuple[str, ...]]:
    """The `secret` resources after the form (keys by id): those no longer named removed, the others
    changed in place (their other params, comments and order kept; params of another source dropped),
    new ones added; with `wanted` None, as they are."""
    if wanted is None:
        return present(resources)
    for secret in wanted:
        _require_free(resources, secret.id)
    named = {secret.id: secret for secret in wanted}
    for rid in [rid for rid in present(resources) if rid not in named]:
        settings_form.write(resources, (rid,), None)  # the comment lines after it stay
    for secret in wanted:
        resource = resources.get(secret.id)
        if not isinstance(resource, CommentedMap):
            resources[secret.id] = resource = CommentedMap(type="secret")
        params = resource.get("params")
        if not isinstance(params, CommentedMap):
            resource["params"] = params = CommentedMap()
        _set_keys(params, secret.keys)
        if secret.source == "outside" and params.get("from") not in (None, "outside"):
            settings_form.write(params, ("from",), None)  # the default
        elif secret.source != (params.get("from") or "outside"):
            params["from"] = secret.source
        for param, source in ONLY_FOR.items():
            if param in params and source != secret.source:
                settings_form.write(params, (param,), None)
        if secret.source == "store" and params.get("store") != secret.store:
            params["store"] = secret.store
    return present(resources)


def _require_free(resources: CommentedMap, rid: str) -> None:
    other = resources.get(rid)
    if other is None or (isinstance(other, dict) and other.get("type") == "secret"):
        return
    raise NameTaken(f"`{rid}` is already the name of {describe(rid, other)}: give the secret another name")


def _set_keys(params: CommentedMap, keys: tuple[str, ...]) -> None:
    """`keys` as the form lists them: a list written by hand keeps its style, its order, its
    comments and the comment lines after it; only the keys removed or added change."""
    current = params.get("keys")
    if not isinstance(current, CommentedSeq):
        params["keys"] = seq = CommentedSeq(keys)
        seq.fa.set_flow_style()  # `keys: [username, password]`, as Score's examples write it
        return
    if [str(k) for k in current] == list(keys) or sorted({str(k) for k in current}) == sorted(keys):
        return
    following = settings_form.following_lines(params, "keys", take=True)
    for index in reversed(range(len(current))):
        if str(current[index]) not in keys:
            settings_form.remove_item(current, index)
    kept = {str(k) for k in current}
    current.extend(key for key in keys if key not in kept)
    if following:
        settings_form.put_after(params, "keys", following)
