"""A platform repo's own provisioners render into the service's namespace only, with names that are
names: nothing they write can reach another namespace, the cluster scope or a path outside a render."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import copy_example, run_cli

SMTP = "provisioners/smtp.yaml"


def _with_manifest(repo: Path, manifest: str) -> None:
    path = repo / SMTP
    path.write_text(path.read_text() + "manifests:\n" + manifest)


@pytest.mark.parametrize(
    ("manifest", "expected"),
    [
        (
            "  - {apiVersion: v1, kind: ConfigMap, metadata: {name: '${service}-${id}', namespace: kube-system}}\n",
            "services/worker/score.yaml:39:3: provisioner `smtp` renders ConfigMap worker-mail into namespace "
            "`kube-system`; custom provisioners may only render objects in the service's namespace (`shop`)",
        ),
        (
            "  - {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding,\n"
            "     metadata: {name: '${service}'}}\n",
            "services/worker/score.yaml:39:3: provisioner `smtp` renders a ClusterRoleBinding, which has no "
            "namespace; custom provisioners may only render objects in the service's namespace",
        ),
        (
            "  - {apiVersion: v1, kind: ConfigMap, metadata: {name: '../../../${params.sender}'}}\n",
            "services/worker/score.yaml:39:3: ConfigMap name `../../../orders` is not a valid object name "
            "(at most 253 characters, no `/` or `%`)",
        ),
        (
            "  - {apiVersion: v1, kind: '../x', metadata: {name: a}}\n",
            "services/worker/score.yaml:39:3: kind `../x` is not a Kubernetes kind (letters and digits)",
        ),
    ],
)
def test_a_provisioner_cannot_render_outside_its_service(
    manifest: str, expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = copy_example(tmp_path)
    _with_manifest(repo, manifest)
    out = tmp_path / "out"
    result = run_cli(capsys, "render", str(repo), "-c", "local", "--only", "services", "-o", str(out))
    assert (result.code, result.err.splitlines()[0]) == (1, expected)
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shop"]


def test_a_null_in_a_provisioner_is_a_missing_value_not_a_removal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A provisioner is no layer: `port:` with no value is an error at its line (found by the fuzzer
    in tests/fuzz: it was an internal error, exit 70)."""
    repo = copy_example(tmp_path)
    path = repo / SMTP
    path.write_text(path.read_text().replace('  port: "587"\n', "  port:\n"))
    result = run_cli(capsys, "validate", str(repo), "-c", "local")
    assert result.code == 1
    assert result.err.splitlines()[0] == "provisioners/smtp.yaml:12:8: `outputs.port` must be a string, got null"
