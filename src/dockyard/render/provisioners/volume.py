"""`volume`: a PersistentVolumeClaim the service mounts with `volumes: - source: ${resources.<id>}`.

params: size (default 1Gi), accessMode (default ReadWriteOnce: refused when more than one pod
would mount it, unless chosen explicitly; a ReadWriteOnce claim attaches to one node), storageClass.
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
    pods = _most_pods(request)
    chosen = "accessMode" in request.resource.params
    if pods > 1 and (mode == "ReadWriteOncePod" or (mode == "ReadWriteOnce" and not chosen)):
        attaches = "one pod" if mode == "ReadWriteOncePod" else "one node"
        raise ProvisionError(
            f"resource `{request.resource.id}`: up to {pods} pods mount this volume, but a {mode} claim attaches "
            f"to {attaches}: on a cluster of several nodes the others would never start; set params.accessMode: "
            "ReadWriteMany (with a storage class that offers it), run one replica, or set accessMode: "
            "ReadWriteOnce yourself if every pod runs on one node"
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


def _most_pods(request: Request) -> int:
    """The most pods of the services that mount the volume, at once (replicas, or the autoscaler's
    maximum; a job's one run at a time, two when its runs may overlap)."""
    total = 0
    for service in request.clients or (request.service,):
        scaling, job = service.settings.autoscaling, service.settings.job
        if job is not None:
            total += 1 if job.concurrency in ("Forbid", "Replace") else 2
        else:
            total += scaling.max_replicas if scaling.enabled else service.settings.replicas
    return total


VOLUME = Provisioner(
    "volume",
    ("source",),
    provision,
    "A persistent volume claim for the service.",
    {"size": "requested size (default 1Gi)", "accessMode": "access mode", "storageClass": "storage class"},
)
