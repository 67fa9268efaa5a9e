"""`volume`: a PersistentVolumeClaim the service mounts with `volumes: - source: ${resources.<id>}`.

params: size (default 1Gi), accessMode (default ReadWriteOnce), storageClass.
outputs: source (the claim's name).
"""

from __future__ import annotations

from typing import Any

from dockyard.render.bundle import Rendered, Stage, obj
from dockyard.render.provisioners.base import Provision, Provisioner, ProvisionError, Request, param

ACCESS_MODES = ("ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod")


def provision(request: Request) -> Provision:
    mode = param(request, "accessMode", str, "ReadWriteOnce")
    if mode not in ACCESS_MODES:
        raise ProvisionError(
            f"resource `{request.resource.id}`: params.accessMode must be one of {', '.join(ACCESS_MODES)}"
        )
    spec: dict[str, Any] = {
        "accessModes": [mode],
        "resources": {"requests": {"storage": param(request, "size", str, "1Gi")}},
    }
    storage_class = param(request, "storageClass", (str, type(None)), None)
    if storage_class:
        spec["storageClassName"] = storage_class
    claim = obj("v1", "PersistentVolumeClaim", request.object_name(), request.namespace, spec=spec)
    return Provision(
        outputs={"source": request.object_name()}, objects=[Rendered(claim, Stage.SERVICES, request.source)]
    )


VOLUME = Provisioner(
    "volume",
    ("source",),
    provision,
    "A persistent volume claim for the service.",
    {"size": "requested size (default 1Gi)", "accessMode": "access mode", "storageClass": "storage class"},
)
