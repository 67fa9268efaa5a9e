"""A platform repo adds its own Rego rules in policies/<rule>.rego; a broken one blocks apply."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import copy_example, replace, run_cli

NO_DEBUG = """# Debug logging leaks request data; it is never on in a rendered platform.
package dockyard.policies.no_debug

import rego.v1

deny contains finding if {
	some object in input.objects
	some index, container in object.containers
	some variable in container.env
	variable.name == "LOG_LEVEL"
	variable.value == "debug"
	finding := {"object": object.id, "path": sprintf("%s[%d].env", [object.containers_path, index]),
		"message": sprintf("container %s logs at debug level", [container.name])}
}
"""


@pytest.mark.tools
def test_a_repo_policy_adds_findings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = copy_example(tmp_path)
    (root / "policies").mkdir()
    (root / "policies" / "no-debug.rego").write_text(NO_DEBUG)
    assert run_cli(capsys, "check", str(root), "-c", "local").out.count("[no-debug,") == 0
    replace(
        root,
        "services/worker/score.yaml",
        "ORDERS_URL: ${resources.orders.url}",
        "ORDERS_URL: ${resources.orders.url}\n      LOG_LEVEL: debug",
    )
    result = run_cli(capsys, "check", str(root), "-c", "local")
    assert (
        "services/worker/score.yaml:5:9: Deployment.apps shop/worker: spec.template.spec.containers[0].env: "
        "container worker logs at debug level [no-debug, deny]"
    ) in result.out.splitlines()


def test_a_policy_file_must_declare_its_package(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Dockyard's own format is named by the file; any other package is a conftest policy."""
    root = copy_example(tmp_path)
    (root / "policies").mkdir()
    (root / "policies" / "mine.rego").write_text("package dockyard.policies.other\n")
    (root / "policies" / "none.rego").write_text("# no package at all\n")
    result = run_cli(capsys, "validate", str(root))
    assert result.err.splitlines()[:4] == [
        "policies/mine.rego:1:1: a policy file in Dockyard's format must declare `package dockyard.policies.mine`",
        "  hint: its `deny` set is then checked with the built-in rules (a conftest policy uses a package of its "
        "own, such as `package main`)",
        "policies/none.rego:1:1: a policy file must declare its `package`",
        "2 problems found; nothing was changed",
    ]


@pytest.mark.tools
def test_a_broken_policy_blocks_apply(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = copy_example(tmp_path)
    (root / "policies").mkdir()
    (root / "policies" / "broken.rego").write_text("package dockyard.policies.broken\n\ndeny contains x if {\n")
    checked = run_cli(capsys, "check", str(root), "-c", "local")
    assert checked.code == 1
    engine = [line for line in checked.out.splitlines() if "[engine, deny]" in line]
    assert len(engine) == 1 and "a check could not run, so nothing may be applied" in engine[0]
    applied = run_cli(capsys, "apply", str(root), "-c", "local", "--yes", "--kubeconfig", str(tmp_path / "none"))
    assert applied.code == 1
    assert applied.err.startswith("error: the checks found problems; nothing was written:")
