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
"""

from __future__ import annotations

from dockyard.errors import Problem
from dockyard.model.sealed import Unusable
from dockyard.render.bundle import Rendered, Stage
from dockyard.render.placeholders import Output, SecretRef
from dockyard.render.provisioners.base import Provision, Provisioner, ProvisionError, Request, param
from dockyard.render.sealed import sealed_secret

SOURCES = ("outside", "repo")
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
            f"resource `{request.resource.id}`: params.from must be `outside` (a Secret people manage) or "
            f"`repo` (the repo's encrypted secrets), not `{source}`"
        )
    outputs: dict[str, Output] = {key: SecretRef(name, key) for key in keys}
    if source == "outside":
        if "path" in request.resource.params:
            raise ProvisionError(f"resource `{request.resource.id}`: params.path is for `from: repo` only")
        return Provision(outputs=outputs, external={name: set(keys)})
    return _from_repo(request, name, keys, outputs)


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
    "Values from a Secret managed outside the repo (`from: outside`), or from the repo's encrypted "
    "secrets (`from: repo`), passed to containers by reference.",
    {
        "keys": "the keys the service reads",
        "name": "the Secret's name (default <service>-<id>)",
        "from": "`outside` (default: people manage the Secret) or `repo` (the repo's encrypted secrets)",
        "path": "with `from: repo`: where the keys are in the secrets files (default: the resource's id)",
    },
)
