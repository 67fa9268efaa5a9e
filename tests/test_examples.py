"""Every example platform repo under examples/ validates clean for every one of its clusters."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import EXAMPLES, run_cli
from tests.peers import score_schema

PROJECT = Path(__file__).parents[1]

ALL = sorted(p.name for p in EXAMPLES.iterdir() if (p / "platform.yaml").is_file())


def test_there_are_examples() -> None:
    assert "shop" in ALL


@pytest.mark.parametrize("example", ALL)
def test_example_validates(example: str, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "validate", str(EXAMPLES / example))
    assert result.code == 0, result.err
    assert result.out.startswith("valid: ")


@pytest.mark.parametrize("example", ALL)
def test_every_example_file_has_a_schema_modeline(example: str) -> None:
    root = EXAMPLES / example
    for path in sorted(root.glob("**/*.yaml")):
        relative = path.relative_to(root)
        if (
            relative.parts[0] == "services"
            and path.name not in ("score.yaml", "dockyard.yaml")
            and ("overrides" not in relative.parts)
        ):
            continue  # contracts and other files a service names are not Dockyard's to describe
        first = path.read_text().splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema="), relative
        schema = (path.parent / first.split("=", 1)[1]).resolve()
        assert schema.is_file() and schema.is_relative_to(root.resolve()), f"{relative}: {schema}"


def test_examples_do_not_depend_on_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(EXAMPLES / "shop" / "services" / "orders")
    assert run_cli(capsys, "validate").code == 0


@pytest.mark.tools
def test_every_score_file_is_valid_score_for_every_score_tool() -> None:
    """Dockyard's settings live beside score.yaml, so each Score file in the examples and the test
    repos validates against the official score-v1b1.json (from score-go, the reference
    implementation's module, at the version tests/peers.py pins)."""
    import jsonschema
    import yaml

    validator = jsonschema.Draft202012Validator(score_schema())
    files = sorted(
        [*EXAMPLES.glob("*/services/*/score.yaml"), *(PROJECT / "tests").glob("**/repos/*/services/*/score.yaml")]
    )
    files = [f for f in files if "shop-0.1" not in f.parts]  # the 0.1 layout the migration tests start from
    assert len(files) >= 8
    invalid = {
        str(f.relative_to(PROJECT)): [e.message for e in validator.iter_errors(yaml.safe_load(f.read_text()))]
        for f in files
    }
    assert {f: errors for f, errors in invalid.items() if errors} == {}
