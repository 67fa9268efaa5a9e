"""`dns`: a host name under the platform domain (the edge gateway answers for it).

params: host (default <service>-<id>). outputs: host.
"""

from __future__ import annotations

from dockyard.render.provisioners.base import Provision, Provisioner, Request
from dockyard.render.provisioners.route import host_name


def provision(request: Request) -> Provision:
    return Provision(outputs={"host": host_name(request, request.object_name())})


DNS = Provisioner("dns", ("host",), provision, "A host name under the platform domain.", {"host": "host name"})
