"""Pods that call the platform's own hosts by name (an OIDC issuer, another service's public URL)
reach them through the gateway: the name resolves to the gateway's address, and the request goes
to the Envoy proxies Envoy Gateway runs for that Gateway, labelled as it labels them, on the
listener's port shifted as it shifts ports below 1024 (the proxies bind port + 10000).

Each such URL in a pod's configuration (its containers, or a ConfigMap it mounts or reads) is a
wire for the network check. A URL may be one the pod only shows to browsers (a public address, a
sign-in page), so a wire the policies refuse is a warning, not a deny."""

from __future__ import annotations

from dockyard.check.wiring.addresses import Wire, configmap_readers, users_of
from dockyard.check.wiring.facts import Facts, ServiceInfo
from dockyard.check.wiring.urls import Listening, serving, urls_of

PROXY_LABELS = {
    "app.kubernetes.io/name": "envoy",
    "app.kubernetes.io/component": "proxy",
    "app.kubernetes.io/managed-by": "envoy-gateway",
}
OWNING_NAME = "gateway.envoyproxy.io/owning-gateway-name"
OWNING_NAMESPACE = "gateway.envoyproxy.io/owning-gateway-namespace"
PORT_SHIFT = 10000
FIRST_UNPRIVILEGED = 1024


def proxies(listening: Listening) -> ServiceInfo:
    """The Envoy proxies of a Gateway, as a Service a controller makes at run time (in the
    Gateway's namespace, where Envoy Gateway runs them here)."""
    gateway = listening.gateway
    namespace = gateway.namespace or ""
    labels = {**PROXY_LABELS, OWNING_NAME: gateway.name, OWNING_NAMESPACE: namespace}
    port = listening.port
    target = port + PORT_SHIFT if port < FIRST_UNPRIVILEGED else port
    return ServiceInfo(
        namespace, f"proxies of Gateway {namespace}/{gateway.name}", frozenset({port}), labels, {port: target}
    )


def host_wires(facts: Facts) -> list[Wire]:
    served, _routed = serving(facts)
    if not served:
        return []
    readers = configmap_readers(facts)
    wires: list[Wire] = []
    made: dict[tuple[int, int], ServiceInfo] = {}  # one Service of proxies per listener, not one per URL
    for rendered in facts.with_text():
        if rendered.kind == "Secret":
            continue
        found = [(scheme, host) for scheme, host in urls_of(facts, rendered) if (scheme, host) in served]
        if not found:
            continue
        users = users_of(facts, rendered, readers)
        for scheme, host in dict.fromkeys(found):
            url = f"{scheme}://{host}"
            for listening in served[(scheme, host)]:
                key = (id(listening.gateway), listening.port)
                service = made.get(key) or made.setdefault(key, proxies(listening))
                wires += [
                    Wire(pod, service, listening.port, url, startup=False, texts=(url,), certain=False) for pod in users
                ]
    return wires
