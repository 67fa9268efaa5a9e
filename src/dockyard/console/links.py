"""Where to look at a service in the platform's Grafana: its dashboard (render/dashboards.py), and
its logs (Loki), traces (Tempo) and scrape target (Prometheus) as links into Grafana's Explore.
Only what the platform installs is linked: Grafana comes with kube-prometheus-stack, Loki with
`logs`, Tempo with `traces`; the datasource uids are the ones the render gives them
(render/components/observability.py)."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from dockyard.console.catalog import Card
from dockyard.model.platform import Platform
from dockyard.render.components.component import installs
from dockyard.render.dashboards import uid
from dockyard.render.provisioners.route import served_scheme


def grafana(platform: Platform) -> str | None:
    """Grafana's address, when the platform installs it."""
    if not installs(platform, "kube-prometheus-stack", "metrics"):
        return None
    return f"{served_scheme(platform.profile)}://grafana.{platform.domain}"


def observability(platform: Platform, card: Card) -> list[tuple[str, str]]:
    """(what, link) for the service's dashboard, logs, traces and scrape target in Grafana."""
    base = grafana(platform)
    if base is None:
        return []
    found = [] if card.job is not None else [("Dashboard", f"{base}/d/{uid(card.namespace, card.name)}")]
    if installs(platform, "loki", "logs"):
        query = '{service_name="' + card.name + '"}'  # the OTLP resource attribute service.name, as Loki indexes it
        found.append(("Logs", _explore(base, "loki", "loki", {"expr": query})))
    if installs(platform, "tempo", "traces"):
        query = '{resource.service.name="' + card.name + '"}'
        found.append(("Traces", _explore(base, "tempo", "tempo", {"query": query, "queryType": "traceql"})))
    query = f'up{{namespace="{card.namespace}", service="{card.name}"}}'  # its ServiceMonitor's targets
    found.append(("Metrics", _explore(base, "prometheus", "prometheus", {"expr": query})))
    return found


def _explore(base: str, kind: str, uid: str, query: dict[str, str]) -> str:
    pane = {
        "datasource": uid,
        "queries": [{"refId": "A", "datasource": {"type": kind, "uid": uid}, **query}],
        "range": {"from": "now-1h", "to": "now"},
    }
    panes = json.dumps({"a": pane}, separators=(",", ":"), sort_keys=True)
    return f"{base}/explore?{urlencode({'schemaVersion': 1, 'panes': panes, 'orgId': 1})}"
