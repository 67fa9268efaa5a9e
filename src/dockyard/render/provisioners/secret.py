"""`secret`: values held in a Secret, managed outside the repo or kept encrypted in it.

params.keys lists the Secret's keys; each is an output (a Secret reference: containers read it as
`valueFrom.secretKeyRef`, and the value never appears in rendered output).

- `from: outside` (the default): the Secret `<service>-<id>` (or params.name) in the service's
  namespace is made by people (a secret manager, `kubectl create secret`); Dockyard only refers
  to it.
- `from: repo`: the values are the repo's encrypted secrets (`dockyard secrets set`), under
  `<id>.<key>` (or `<params.path>.<key>`) in services/<name>/secrets.yaml or the cluster's layers
  (secrets/<cluster>.yaml, secrets/<environment>.yaml, secrets/platform.yaml; the most specific
  wins). Dockyard renders the Secret without its data, with a digest of the ciphertexts; the
  values are decrypted and filled in only in memory, when the Secret is applied.
- `from: store`: the values are in a secret manager (Vault, a cloud's) that a ClusterSecretStore
  (params.store; or a SecretStore of the namespace with params.storeKind) reaches: an
  ExternalSecret asks the External Secrets Operator (switched on by it) to keep the Secret
  `<service>-<id>` in step, each key read from the manager's entry params.remoteKey (default
  `<service>/<id>`) under the property of the same name, every params.refresh (default 1h).
"""

from __future__ import annotations

import re

from dockyard.errors import Problem
from dockyard.model.sealed import Unusable
from dockyard.render.bundle import Rendered, Stage, obj
from dockyard.render.placeholders import Output, SecretRef
from dockyard.render.provisioners.base import Provision, Provisioner, ProvisionError, Request, param
from dockyard.render.sealed import sealed_secret

EXTERNAL_SECRETS_GROUP = "external-secrets.io"
SOURCES = ("outside", "repo", "store")
STORE_KINDS = ("ClusterSecretStore", "SecretStore")
REFRESH = re.compile(r"0|([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+")
"""A Go duration, as the operator reads refreshInterval (0: read once, never again)."""
UNUSABLE_HINT = (
    "set it with `dockyard secrets set` (the value from stdin); take the file back from git if it was not you"
)


def provision(request: Request) -> Provision:
    keys = param(request, "keys", list, None)
    if not keys or not all(isinstance(k, str) and k for k in keys):
        raise ProvisionError(f"resource `{request.resource.id}`: params.keys must list the Secret's keys")
    name = param(request, "name", str, request.object_name())
    source = param(request, "from", str, "outside")
    if source not in SOURCES:
        raise ProvisionError(
            f"resource `{request.resource.id}`: params.from must be `outside` (a Secret people manage), "
            f"`repo` (the repo's encrypted secrets) or `store` (a secret manager), not `{source}`"
        )
    outputs: dict[str, Output] = {key: SecretRef(name, key) for key in keys}
    for only, where in (("path", "repo"), ("store", "store"), ("storeKind", "store"), ("remoteKey", "store")):
        if only in request.resource.params and source != where:
            raise ProvisionError(f"resource `{request.resource.id}`: params.{only} is for `from: {where}` only")
    if "refresh" in request.resource.params and source != "store":
        raise ProvisionError(f"resource `{request.resource.id}`: params.refresh is for `from: store` only")
    if source == "outside":
        return Provision(outputs=outputs, external={name: set(keys)})
    if source == "store":
        return _from_store(request, name, keys, outputs)
    return _from_repo(request, name, keys, outputs)


def _from_store(request: Request, name: str, keys: list[str], outputs: dict[str, Output]) -> Provision:
    store = param(request, "store", (str, type(None)), None)
    if not store:
        raise ProvisionError(
            f"resource `{request.resource.id}`: params.store must name the ClusterSecretStore (or, with "
            "params.storeKind: SecretStore, the namespace's SecretStore) that reaches the secret manager"
        )
    kind = param(request, "storeKind", str, "ClusterSecretStore")
    if kind not in STORE_KINDS:
        raise ProvisionError(
            f"resource `{request.resource.id}`: params.storeKind must be ClusterSecretStore or SecretStore, "
            f"not `{kind}`"
        )
    refresh = param(request, "refresh", str, "1h")
    if not REFRESH.fullmatch(refresh):
        raise ProvisionError(
            f"resource `{request.resource.id}`: params.refresh must be a duration such as 1h or 15m, not `{refresh}`"
        )
    remote = param(request, "remoteKey", str, f"{request.service.name}/{request.resource.id}")
    manifest = obj(
        f"{EXTERNAL_SECRETS_GROUP}/v1",
        "ExternalSecret",
        name,
        request.namespace,
        spec={
            "refreshInterval": refresh,
            "secretStoreRef": {"kind": kind, "name": store},
            "target": {"name": name, "creationPolicy": "Owner"},
            "data": [{"secretKey": key, "remoteRef": {"key": remote, "property": key}} for key in sorted(set(keys))],
        },
    )
    return Provision(outputs=outputs, objects=[Rendered(manifest, Stage.SERVICES, request.source)])


def _from_repo(request: Request, name: str, keys: list[str], outputs: dict[str, Output]) -> Provision:
    prefix = param(request, "path", str, request.resource.id)
    service = request.service.name
    values = []
    for key in sorted(set(keys)):
        try:
            found = request.platform.sealed.lookup(service, f"{prefix}.{key}")
        except Unusable as unusable:
            raise ProvisionError(str(unusable), [Problem(unusable.position, str(unusable), UNUSABLE_HINT)]) from None
        if found is None:
            files = request.platform.sealed.looked_in(service)
            raise ProvisionError(
                f"resource `{request.resource.id}`: no secret `{prefix}.{key}` in {', '.join(files[:-1])} or "
                f"{files[-1]}; set it with `dockyard secrets set {prefix}.{key} --file FILE` (the value from stdin)"
            )
        values.append((key, found))
    manifest, sealed = sealed_secret(request.namespace, name, values)
    rendered = Rendered(manifest, Stage.SERVICES, request.source)
    return Provision(outputs=outputs, objects=[rendered], sealed=[sealed])


SECRET = Provisioner(
    "secret",
    (),
    provision,
    "Values from a Secret managed outside the repo (`from: outside`), from the repo's encrypted "
    "secrets (`from: repo`), or from a secret manager (`from: store`), passed to containers by reference.",
    {
        "keys": "the keys the service reads",
        "name": "the Secret's name (default <service>-<id>)",
        "from": "`outside` (default: people manage the Secret), `repo` (the repo's encrypted secrets) or "
        "`store` (a secret manager, through the External Secrets Operator)",
        "path": "with `from: repo`: where the keys are in the secrets files (default: the resource's id)",
        "store": "with `from: store`: the ClusterSecretStore (or SecretStore) that reaches the secret manager",
        "storeKind": "with `from: store`: ClusterSecretStore (default) or SecretStore (one of the namespace)",
        "remoteKey": "with `from: store`: the manager's entry holding the keys as properties (default <service>/<id>)",
        "refresh": "with `from: store`: how often the operator reads the manager again (default 1h)",
    },
)
