"""Severities and waivers from the layers; apply fails closed on what remains."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest

from dockyard.check.run import run_checks
from dockyard.load.layers import effective
from dockyard.load.repo import load
from dockyard.model.platform import build_platform
from dockyard.render.services import render
from tests.helpers import copy_example, replace, run_cli

NO_PROBE = ('    livenessProbe:\n      exec:\n        command: ["/app/worker", "--check"]\n', "")


def findings(
    root: Path, cluster: str = "local", today: datetime.date | None = None, rules: tuple[str, ...] = ("probes",)
) -> list[str]:
    repo = load(root)
    platform = build_platform(repo, effective(repo, cluster))
    return [
        f"{f.rule} {f.severity}: {f.object}: {f.message}"
        for f in run_checks(platform, render(platform), today)
        if f.rule in rules
    ]


def shop_without_worker_probe(tmp_path: Path) -> Path:
    root = copy_example(tmp_path)
    score = root / "services" / "worker" / "score.yaml"
    score.write_text(score.read_text().replace(*NO_PROBE))
    return root


def test_severity_per_layer(tmp_path: Path) -> None:
    root = shop_without_worker_probe(tmp_path)
    assert findings(root) == [
        "probes deny: Deployment.apps shop/worker: container worker has no readiness or liveness probe"
    ]
    with (root / "environments" / "dev.yaml").open("a") as layer:
        layer.write("checks:\n  severity: {probes: warn}\n")
    assert findings(root, "local") == [
        "probes warn: Deployment.apps shop/worker: container worker has no readiness or liveness probe"
    ]
    assert findings(root, "prod-eu")[0].startswith("probes deny: ")


def test_waivers_need_a_reason_and_expire(tmp_path: Path) -> None:
    root = shop_without_worker_probe(tmp_path)
    with (root / "platform.yaml").open("a") as layer:
        layer.write(
            "checks:\n  waivers:\n    - rule: probes\n      object: Deployment.apps */worker\n"
            "      reason: the worker has no health endpoint yet\n      expires: 2027-01-31\n"
        )
    assert findings(root, today=datetime.date(2027, 1, 31)) == [
        "probes waived: Deployment.apps shop/worker: container worker has no readiness or liveness probe "
        "(waived until 2027-01-31: the worker has no health endpoint yet)"
    ]
    assert findings(root, today=datetime.date(2027, 2, 1)) == [
        "probes deny: Deployment.apps shop/worker: container worker has no readiness or liveness probe "
        "(waiver expired on 2027-01-31)"
    ]


def test_a_waiver_without_a_reason_is_an_input_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = copy_example(tmp_path)
    with (root / "platform.yaml").open("a") as layer:
        layer.write("checks:\n  waivers:\n    - rule: probes\n      object: '*'\n      expires: 2027-01-31\n")
    result = run_cli(capsys, "validate", str(root))
    assert result.err.splitlines()[0] == "platform.yaml:24:5: missing required field `reason` in `checks.waivers[0]`"


@pytest.mark.tools
def test_apply_fails_closed_before_talking_to_any_cluster(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = shop_without_worker_probe(tmp_path)
    result = run_cli(capsys, "apply", str(root), "-c", "local", "--yes", "--kubeconfig", str(tmp_path / "none"))
    assert result.code == 1
    lines = result.err.splitlines()
    assert lines[0].endswith("[contract-enforced, warn]")  # warnings are shown, and do not stop apply
    stopped = lines.index("error: the checks found problems; nothing was written:")
    assert [line.rsplit("[", 1)[-1] for line in lines[:stopped] if not line.startswith("  hint:")] == [
        "contract-enforced, warn]",
        "wiring-address, warn]",
        "wiring-address, warn]",
    ]
    assert (
        "services/worker/score.yaml:5:9: Deployment.apps shop/worker: spec.template.spec.containers[0]: container "
        "worker has no readiness or liveness probe [probes, deny]"
    ) in lines


@pytest.mark.tools
def test_sarif_output_is_valid_and_points_at_the_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from sarif_pydantic import Sarif

    root = shop_without_worker_probe(tmp_path)
    result = run_cli(capsys, "check", str(root), "-c", "local", "--output", "sarif")
    assert result.code == 1
    document = json.loads(result.out)
    log = Sarif.model_validate(document)  # the SARIF 2.1.0 object model, independently of Dockyard
    (run,) = log.runs
    assert [r.rule_id for r in run.results] == ["contract-enforced", "wiring-address", "probes", "wiring-address"]
    assert [r["level"] for r in document["runs"][0]["results"]] == ["warning", "warning", "error", "warning"]
    probes = document["runs"][0]["results"][2]
    location = probes["locations"][0]["physicalLocation"]
    assert location == {
        "artifactLocation": {"uri": "services/worker/score.yaml"},
        "region": {"startLine": 5, "startColumn": 9},
    }
    rules = {rule["id"]: rule["shortDescription"]["text"] for rule in document["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["probes"].startswith("Every long-running container has a readiness probe")
    assert set(rules) >= {"schema", "resources", "probes", "images", "security", "platform", "contract-enforced"}


def test_an_api_whose_tokens_nothing_checks_is_a_finding(tmp_path: Path) -> None:
    """Without the mesh no enforcer checks the orders API's tokens: a deny in every profile (the
    example's local cluster lowers it to a warning, saying why); where only the edge checks
    (`full`), a deny naming the pods inside the cluster that the NetworkPolicies let call it, and
    nothing once none may; nothing once the service says it checks tokens itself."""
    root = copy_example(tmp_path)
    message = (
        "Service shop/orders: 4 operations of its contract need a token, but nothing on this cluster checks "
        "tokens (profile `{}` {}), so every request would reach the service; use profile `complete`, or set "
        "`auth.jwt: false` in its dockyard.yaml if the service checks tokens itself"
    )
    rule = ("contract-enforced",)
    dev_fast = message.format("dev-fast", "has neither an identity provider nor a mesh")
    assert findings(root, "local", rules=rule) == ["contract-enforced warn: " + dev_fast]  # the layer's severity
    replace(root, "clusters/local.yaml", "    contract-enforced: warn\n", "")
    assert findings(root, "local", rules=rule) == ["contract-enforced deny: " + dev_fast]
    assert findings(root, "prod-eu", rules=rule) == []  # `complete`: the mesh checks every call
    replace(root, "environments/prod.yaml", "profile: complete\n", "profile: full\n")
    assert findings(root, "prod-eu", rules=rule) == [
        "contract-enforced deny: Service shop/orders: 4 operations of its contract need a token: the edge gateway "
        "checks requests from outside the cluster, but nothing checks calls from inside it (profile `full` has no "
        "mesh), and the NetworkPolicies let Deployment shop/payments, Deployment shop/web, Deployment shop/worker "
        "call it; use profile `complete` (the mesh checks every call), or waive this rule for the service with the "
        "reason these callers may skip the contract"
    ]
    for caller in ("payments", "web", "worker"):  # no service calls orders any more: only the gateway may
        _drop_dependency(root / "services" / caller / "score.yaml", "orders")
    replace(root, "services/web/nginx.conf", "    location /api/ { proxy_pass ${resources.orders.url}/; }\n", "")
    assert findings(root, "prod-eu", rules=rule) == []
    route = "  public:\n    type: route\n    params:\n      host: api\n      path: /orders\n      port: 80\n"
    replace(root, "services/orders/score.yaml", route, "")  # no longer exposed at the edge
    assert findings(root, "prod-eu", rules=rule) == ["contract-enforced deny: " + message.format("full", "has no mesh")]
    replace(
        root, "services/orders/dockyard.yaml", "kind: ServiceSettings\n", "kind: ServiceSettings\nauth: {jwt: false}\n"
    )
    assert findings(root, "prod-eu", rules=rule) == []


def _drop_dependency(score: Path, name: str) -> None:
    """Remove resource `name` (its block) and every variable that reads its outputs."""
    lines, kept, skipping = score.read_text().splitlines(keepends=True), [], False
    for line in lines:
        if line == f"  {name}:\n":
            skipping = True
            continue
        if skipping and line.startswith("    "):
            continue
        skipping = False
        if "${resources." + name + "." not in line:
            kept.append(line)
    score.write_text("".join(kept))
