"""What the hostile-input corpus found, said exactly: where output may not go, and a repo policy
the engine cannot compile or whose findings are malformed, named at its file."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import copy_example, run_cli, write


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        (
            "{repo}",
            "error: --output {repo} would put rendered files among the platform repo's own ({repo}); give a "
            "directory of their own, such as out/",
        ),
        (
            "{repo}/services/orders",
            "error: --output {repo}/services/orders would put rendered files among the "
            "platform repo's own ({repo}); give a directory of their own, such as out/",
        ),
        ("{repo}/platform.yaml", "error: {repo}/platform.yaml is a file, not a directory; give --output a directory"),
    ],
)
def test_render_writes_only_into_a_directory_of_its_own(
    target: str, expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = copy_example(tmp_path / "repo")
    before = sorted(p.relative_to(repo) for p in repo.rglob("*"))
    result = run_cli(capsys, "render", str(repo), "-c", "local", "--only", "services", "-o", target.format(repo=repo))
    assert (result.code, result.err.strip()) == (1 if "is a file" in expected else 2, expected.format(repo=repo))
    assert sorted(p.relative_to(repo) for p in repo.rglob("*")) == before


@pytest.mark.parametrize(
    "command", [("schema", "--out"), ("policies", "export", "{repo}", "-c", "local", "--gatekeeper", "-o")]
)
def test_a_file_given_as_the_output_directory_is_a_usage_error(
    command: tuple[str, ...], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = copy_example(tmp_path / "repo")
    file = repo / "platform.yaml"
    result = run_cli(capsys, *(part.format(repo=repo) for part in command), str(file))
    option = "--out" if command[0] == "schema" else "--output"
    assert (result.code, result.err.strip()) == (
        2,
        f"error: {file} is a file, not a directory; give {option} a directory",
    )


BROKEN = "package dockyard.policies.owner\n\nimport rego.v1\n\ndeny contains x if {\n"
MALFORMED = "package dockyard.policies.owner\n\nimport rego.v1\n\ndeny contains 5 if { true }\n"


@pytest.mark.tools  # check renders the example's components: its charts
@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        (
            BROKEN,
            "policies/owner.rego:6:1: engine: a check could not run, so nothing may be applied: policy owner does not "
            "compile: --> owner.rego:6:1 | 6 | | ^ error: expecting expression [engine, deny]",
        ),
        (
            MALFORMED,
            "policies/owner.rego:1:1: engine: a check could not run, so nothing may be applied: policy owner denies "
            'with 5: each finding must be an object with the strings "object" (an input object\'s id), "message" and '
            'optionally "path" [engine, deny]',
        ),
    ],
)
def test_a_repo_policy_the_engine_cannot_use_is_named_at_its_file(
    policy: str, expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = copy_example(tmp_path / "repo")
    write(repo, "policies/owner.rego", policy)
    result = run_cli(capsys, "check", str(repo), "-c", "local")
    assert result.code == 1
    assert expected in result.out.splitlines()


def test_render_follows_an_input_directory_that_is_a_link_before_it_refuses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = copy_example(tmp_path / "repo")
    (repo / "services").rename(repo / "apps")
    (repo / "services").symlink_to("apps")
    result = run_cli(capsys, "render", str(repo), "-c", "local", "--only", "services", "-o", f"{repo}/services/out")
    assert result.code == 2
    assert not (repo / "apps" / "out").exists()


def test_an_image_with_placeholders_is_checked_once_they_are_filled(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = copy_example(tmp_path / "repo")
    score = repo / "services" / "orders" / "score.yaml"
    score.write_text(
        score.read_text().replace("dockyard-examples/orders:1.4.2", "dockyard-examples/${metadata.name}:1.4.2")
    )
    rendered = run_cli(capsys, "render", str(repo), "-c", "local", "--only", "services")
    assert rendered.code == 0, rendered.err
    assert "image: ghcr.io/dockyard-examples/orders:1.4.2" in rendered.out
    score.write_text(score.read_text().replace("${metadata.name}:1.4.2", "${metadata.name}:a tag"))
    refused = run_cli(capsys, "validate", str(repo))
    assert refused.err.splitlines()[0] == (
        "services/orders/score.yaml:8:12: with its placeholders filled, the image is "
        "`ghcr.io/dockyard-examples/orders:a tag`, not an image reference such as registry.example.org/team/app:1.2.3"
    )
    score.write_text(score.read_text().replace("ghcr.io/dockyard-examples/${metadata.name}:a tag", '"ghcr.io/x:1\\n"'))
    trailing = run_cli(capsys, "validate", str(repo))
    assert trailing.code == 1 and "`containers.api.image` must be an image reference" in trailing.err
