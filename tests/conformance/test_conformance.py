"""The Score conformance suite: every case renders as the spec says, or is refused only for a
resource type the platform lacks, with the fix in the message (spec.py says how each is judged)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conformance.spec import CONFORMS, REFUSED_FAIRLY, cases, judge
from tests.helpers import EXAMPLES

LACKING = {"amqp-worker", "mongodb-app", "mysql-app", "kafka-consumer", "service-port-client", "environment-config"}


def test_the_suite_is_large_enough_and_covers_every_field() -> None:
    text = "\n".join((Path(__file__).parent / "scores" / c / "score.yaml").read_text() for c in cases())
    assert len(cases()) >= 40
    for field in (
        "annotations:", "command:", "args:", "variables:", "files:", "binaryContent:", "source:", "noExpand:",
        "mode:", "volumes:", "readOnly:", "path:", "requests:", "limits:", "livenessProbe:", "readinessProbe:",
        "httpHeaders:", "exec:", "before:", "service:", "targetPort:", "protocol:", "params:", "class:", "id:",
        "image: .",
    ):  # fmt: skip
        assert field in text, field


@pytest.mark.parametrize("case", cases())
def test_each_case_conforms_or_is_refused_only_for_a_type_the_platform_lacks(case: str, tmp_path: Path) -> None:
    verdict = judge(case, EXAMPLES / "shop", tmp_path)
    expected = REFUSED_FAIRLY if case in LACKING else CONFORMS
    assert (verdict.outcome, verdict.details) == (expected, [])


def test_the_judge_finds_what_a_wrong_render_gets_wrong(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The suite can fail: a render with a field lost or changed in each part is judged wrong there."""
    from tests.conformance import spec

    real = spec.render_services

    def broken(platform: Any) -> Any:
        bundle = real(platform)
        for rendered in bundle.objects:
            manifest = rendered.manifest
            if manifest["metadata"]["name"] not in ("full-service", "full-service-files"):
                continue  # the Redis the cache resource brings has a Deployment and a Service too
            if manifest["kind"] == "Deployment":
                pod = manifest["spec"]["template"]
                del pod["metadata"]["annotations"]["team"]
                main = pod["spec"]["containers"][0]
                main["env"] = [e for e in main["env"] if e["name"] != "SERVICE"]
                main["args"] = ["--listen", ":9090"]
                del main["readinessProbe"]
            elif manifest["kind"] == "ConfigMap":
                manifest["data"] = {k: v.replace("payments", "other") for k, v in manifest["data"].items()}
            elif manifest["kind"] == "Service":
                manifest["spec"]["ports"][0]["targetPort"] = 80
        return bundle

    monkeypatch.setattr(spec, "render_services", broken)
    verdict = judge("full-service", EXAMPLES / "shop", tmp_path)
    assert verdict.outcome == spec.WRONG
    assert verdict.details == [
        "metadata.annotations.team is not on the pods",
        "containers.main.args: ['--listen', ':9090'], expected ['--listen', ':8080']",
        "containers.main.variables.SERVICE is not set",
        "containers.main.files[/etc/payments/app.yaml]: content 'team: other\\n', expected 'team: payments\\n'",
        "containers.main.readinessProbe: None",
        "service.ports.http: {'name': 'http', 'port': 80, 'targetPort': 80, 'protocol': 'TCP'}, expected "
        "{'name': 'http', 'port': 80, 'targetPort': 8080, 'protocol': 'TCP'}",
    ]
