"""`service`: a dependency on another service of the platform.

params: name (the other service; default the resource id), port (one of its ports; default its first).
outputs: url, host, port. Adds the network rule both ways: egress from this service, ingress to
the other.
"""

from __future__ import annotations

from dockyard.render.provisioners.base import Peer, Provision, Provisioner, ProvisionError, Request, param


def provision(request: Request) -> Provision:
    target_name = param(request, "name", str, request.resource.id)
    target = request.services[target_name]
    if not target.ports:
        raise ProvisionError(f"resource `{request.resource.id}`: service `{target_name}` exposes no ports")
    wanted = param(request, "port", (int, type(None)), None)
    chosen = next((p for p in target.ports if wanted is None or p.port == wanted), None)
    if chosen is None:
        known = ", ".join(str(p.port) for p in target.ports)
        raise ProvisionError(f"resource `{request.resource.id}`: `{target_name}` has no port {wanted} (ports: {known})")
    host = f"{target_name}.{target.settings.namespace}.svc.cluster.local"
    selector = {"app.kubernetes.io/name": target_name, "app.kubernetes.io/instance": target_name}
    return Provision(
        outputs={"url": f"http://{host}:{chosen.port}", "host": host, "port": str(chosen.port)},
        egress=[Peer(target.settings.namespace, selector, ((chosen.protocol, chosen.target_port),))],
        depends_on=target_name,
    )


SERVICE = Provisioner(
    "service",
    ("url", "host", "port"),
    provision,
    "A dependency on another service: its address, and the network rules both ways.",
    {"name": "the other service (default: the resource id)", "port": "one of its ports"},
)
