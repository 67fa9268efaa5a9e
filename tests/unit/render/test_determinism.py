"""Same input, byte-identical output: across runs, hash seeds, and the order services are written in."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dockyard.load.layers import effective
from dockyard.load.repo import load
from dockyard.load.versions import series
from dockyard.model.platform import build_platform
from dockyard.render.bundle import to_yaml
from dockyard.render.services import render
from tests.helpers import EXAMPLES


def _render_in_subprocess(seed: str, repo: Path, cluster: str, only: str) -> bytes:
    env = dict(os.environ, PYTHONHASHSEED=seed, DOCKYARD_NO_CACHE="1")
    command = [sys.executable, "-m", "dockyard.cli", "render", str(repo), "--cluster", cluster, "--only", only]
    return subprocess.run(command, env=env, capture_output=True, check=True).stdout


@pytest.mark.tools
def test_the_same_repo_renders_byte_identically_under_different_hash_seeds() -> None:
    golden_repo = Path(__file__).resolve().parents[2] / "golden" / "repos" / "every-field"
    cases = (
        (EXAMPLES / "shop", "local", "all"),
        (EXAMPLES / "shop", "prod-eu", "services"),
        (golden_repo, "lab", "services"),
    )
    for repo, cluster, only in cases:
        outputs = {_render_in_subprocess(seed, repo, cluster, only) for seed in ("0", "1", "4242")}
        assert len(outputs) == 1
        assert outputs.pop().count(b"\nkind: ") > 10


names = st.lists(st.from_regex(r"[a-z][a-z0-9]{1,8}", fullmatch=True), min_size=1, max_size=6, unique=True)


def _write_repo(root: Path, services: list[str], order: list[int], replicas: list[int]) -> None:
    (root / "environments").mkdir(parents=True)
    (root / "clusters").mkdir()
    (root / "platform.yaml").write_text(
        f"apiVersion: dockyard.dev/v1alpha2\nkind: Platform\ndockyard: '{series()}'\n"
        "name: gen\ndomain: gen.example.org\n"
    )
    (root / "environments" / "e.yaml").write_text("apiVersion: dockyard.dev/v1alpha1\nkind: Environment\n")
    (root / "clusters" / "c.yaml").write_text(
        'apiVersion: dockyard.dev/v1alpha1\nkind: Cluster\nenvironment: e\nkubernetes: {version: "1.36"}\n'
    )
    for index in order:
        name = services[index]
        dependency = services[index - 1] if index else None
        resources = f"resources:\n  up:\n    type: service\n    params: {{name: {dependency}}}\n" if dependency else ""
        variable = '    variables: {UP: "${resources.up.url}"}\n' if dependency else ""
        folder = root / "services" / name
        folder.mkdir(parents=True)
        (folder / "score.yaml").write_text(
            f"apiVersion: score.dev/v1b1\nmetadata: {{name: {name}}}\ncontainers:\n  main:\n"
            f"    image: registry.example.org/{name}:1\n{variable}"
            f"service:\n  ports:\n    http: {{port: 80, targetPort: 8080}}\n{resources}"
        )
        (folder / "dockyard.yaml").write_text(
            "apiVersion: dockyard.dev/v1alpha1\nkind: ServiceSettings\n"
            f"replicas: {replicas[index]}\nteam: t{index % 2}\ncallers: [t{(index + 1) % 2}]\n"  # the next one calls it
        )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(services=names, data=st.data())
def test_generated_repos_render_the_same_whatever_order_their_files_are_written_in(
    services: list[str], data: st.DataObject, tmp_path_factory
) -> None:
    replicas = data.draw(st.lists(st.integers(0, 5), min_size=len(services), max_size=len(services)))
    order = data.draw(st.permutations(range(len(services))))
    first, second = tmp_path_factory.mktemp("a"), tmp_path_factory.mktemp("b")
    _write_repo(first, services, list(range(len(services))), replicas)
    _write_repo(second, services, list(order), replicas)
    outputs = []
    for root in (first, second):
        repo = load(root)
        bundle = render(build_platform(repo, effective(repo, "c")))
        outputs.append(to_yaml(r.manifest for r in bundle.objects))
        for rendered in bundle.objects:
            annotations = rendered.manifest["metadata"]["annotations"]
            assert annotations["dockyard.dev/stage"] == rendered.stage
            assert annotations["dockyard.dev/source"].startswith("services/")
    assert outputs[0] == outputs[1]
