"""`secret`: values held in a Secret that people manage outside the platform repo.

The Secret `<service>-<id>` (or params.name) in the service's namespace holds the keys listed in
params.keys; create it with your secret manager or `kubectl create secret generic`. Dockyard only
references it: its values never pass through Dockyard.
outputs: one per key, as Secret references.
"""

from __future__ import annotations

from dockyard.render.placeholders import SecretRef
from dockyard.render.provisioners.base import Provision, Provisioner, ProvisionError, Request, param


def provision(request: Request) -> Provision:
    keys = param(request, "keys", list, None)
    if not keys or not all(isinstance(k, str) and k for k in keys):
        raise ProvisionError(f"resource `{request.resource.id}`: params.keys must list the Secret's keys")
    name = param(request, "name", str, request.object_name())
    return Provision(outputs={key: SecretRef(name, key) for key in keys}, external={name: set(keys)})


SECRET = Provisioner(
    "secret",
    (),
    provision,
    "Values from a Secret managed outside the repo, passed to containers by reference.",
    {"keys": "the keys the service reads", "name": "the Secret's name (default <service>-<id>)"},
)
