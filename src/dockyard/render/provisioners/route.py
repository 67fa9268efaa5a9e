"""`route`: expose the service at the edge through a Gateway API HTTPRoute on the platform gateway.

params: host (a name under the platform domain, or a full host name; default the service
name), path (default /), port (a service port; default the first).
outputs: host, path, url (https:// where the profile has certificates, so the gateway has a TLS
listener for the platform domain; http:// otherwise).
"""

from __future__ import annotations

import fnmatch
import re

from dockyard.render import platform_names, profiles
from dockyard.render.bundle import Rendered, Stage, obj
from dockyard.render.provisioners.base import Peer, Provision, Provisioner, ProvisionError, Request, param


def service_port(request: Request, wanted: int | str | None) -> tuple[int, int]:
    """(service port, target port) of the port `wanted` (its number or its name), or of the first port."""
    ports = request.service.ports
    if not ports:
        raise ProvisionError(f"resource `{request.resource.id}` needs the service to declare service.ports")
    for port in ports:
        if wanted is None or port.port == wanted or port.name == wanted:
            return port.port, port.target_port
    known = ", ".join(f"{p.port} ({p.name})" for p in ports)
    raise ProvisionError(f"resource `{request.resource.id}`: port {wanted} is not a service port (ports: {known})")


HOST = re.compile(r"^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$")


def host_name(request: Request, default: str) -> str:
    """A name under the platform domain (a single label), or a whole host name; an error for
    anything that is not a DNS name (a URL, an upper-case letter, a space)."""
    host = param(request, "host", str, default)
    full = host if "." in host else f"{host}.{request.platform.domain}"
    if not HOST.match(full):
        raise ProvisionError(f"resource `{request.resource.id}`: params.host `{host}` is not a DNS host name")
    return full


def _covered(host: str, domain: str) -> bool:
    """Whether the certificate for `*.<domain>` covers `host` (a wildcard is one label)."""
    first, _, rest = host.partition(".")
    return rest == domain and bool(first)


def owners(request: Request, host: str) -> list[str]:
    """The teams whose `hosts` claim `host` (a pattern without a dot is a name under the domain;
    `*` matches within one label)."""
    domain = request.platform.domain
    found = []
    for name, team in request.platform.settings.teams.items():
        for pattern in team.hosts:
            full = pattern if "." in pattern else f"{pattern}.{domain}"
            if full.count(".") == host.count(".") and fnmatch.fnmatchcase(host, full):
                found.append(name)
                break
    return found


def provision(request: Request) -> Provision:
    host = host_name(request, request.service.name)
    claimed = owners(request, host)
    team = request.service.settings.team
    if claimed and team not in claimed:
        raise ProvisionError(
            f"resource `{request.resource.id}`: host {host} is team {' and '.join(claimed)}'s (`teams.<name>.hosts`), "
            f"and this service is team {team}'s; route a host of its own team"
        )
    domain = request.platform.domain
    if profiles.enabled(request.platform.profile, "certs") and not _covered(host, domain):
        raise ProvisionError(
            f"resource `{request.resource.id}`: host {host} is not one level under the platform domain {domain}; "
            f"the gateway's certificate covers *.{domain} only, so https://{host} would not be served; "
            f"use a name under {domain}"
        )
    path = param(request, "path", str, "/")
    if not path.startswith("/"):
        raise ProvisionError(f"resource `{request.resource.id}`: params.path must start with /")
    port, target = service_port(request, param(request, "port", (int, str, type(None)), None))
    route = obj(
        "gateway.networking.k8s.io/v1",
        "HTTPRoute",
        request.object_name(),
        request.namespace,
        spec={
            "parentRefs": [{"name": platform_names.GATEWAY_NAME, "namespace": platform_names.GATEWAY_NAMESPACE}],
            "hostnames": [host],
            "rules": [
                {
                    "matches": [{"path": {"type": "PathPrefix", "value": path}}],
                    "backendRefs": [{"name": request.service.name, "port": port}],
                }
            ],
        },
    )
    gateway = Peer(platform_names.GATEWAY_NAMESPACE, {}, (("TCP", target),))
    scheme = served_scheme(request.platform.profile)
    return Provision(
        outputs={"host": host, "path": path, "url": f"{scheme}://{host}{'' if path == '/' else path}"},
        objects=[Rendered(route, Stage.SERVICES, request.source)],
        ingress=[gateway],
    )


ROUTE = Provisioner(
    "route",
    ("host", "path", "url"),
    provision,
    "Expose the service at the edge (Gateway API HTTPRoute on the platform gateway).",
    {
        "host": "host name, or a name under the platform domain",
        "path": "path prefix",
        "port": "service port, by number or name",
    },
)


def served_scheme(profile: str) -> str:
    """What the gateway serves routes on: https where the profile has certificates."""
    return "https" if profiles.enabled(profile, "certs") else "http"
