"""A contract is validated and read once per content: every cluster and every caller of the API
reuse the reading, a later run reads it from the cache, and a changed byte reads it again."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.load.yamlsafe import Document
from dockyard.render.openapi import reading as reading_module
from dockyard.render.openapi.reading import reading
from dockyard.render.openapi.sources import Sources
from tests.helpers import copy_example, replace, run_cli, write

VALID = b"""openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /a:
    get:
      responses: {"200": {description: ok}}
"""


def _sources(raw: bytes) -> Sources:
    import yaml

    return Sources("c.yaml", {"c.yaml": Document("c.yaml", yaml.safe_load(raw), raw)})


def test_the_same_content_is_read_once_and_a_changed_byte_again(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DOCKYARD_PARSE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(reading_module, "_memory", type(reading_module._memory)())
    validated: list[str] = []
    real = reading_module.validate
    monkeypatch.setattr(reading_module, "validate", lambda s: validated.append(s.main) or real(s))
    first = reading(_sources(VALID))
    assert first.contract is not None and first.invalid == ()
    assert reading(_sources(VALID)) is first  # in memory for the rest of the run
    monkeypatch.setattr(reading_module, "_memory", type(reading_module._memory)())
    again = reading(_sources(VALID))  # a new run: from the disk cache
    assert again == first and validated == ["c.yaml"]
    broken = reading(_sources(VALID.replace(b"openapi: 3.0.3", b"openapi: 3.0.3\nwebhooks: {}")))
    assert broken.contract is None and broken.invalid and validated == ["c.yaml", "c.yaml"]


def test_a_broken_contract_is_reported_for_its_own_service_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each contract is validated with its own files only: a dangling reference in another
    service's contract does not make the orders API's contract invalid too."""
    repo = copy_example(tmp_path)
    write(repo, "services/web/openapi.yaml", VALID.decode() + '    post:\n      $ref: "#/nothing"\n')
    replace(
        repo,
        "services/web/score.yaml",
        "  orders:\n    type: service\n",
        "  orders:\n    type: service\n  api:\n    type: api\n",
    )
    replace(
        repo, "services/web/dockyard.yaml", "kind: ServiceSettings\n", "kind: ServiceSettings\ncontract: openapi.yaml\n"
    )
    result = run_cli(capsys, "validate", str(repo))
    assert (result.code, result.err.splitlines()) == (
        1,
        [
            "services/web/openapi.yaml:8:13: `$ref` `#/nothing` names nothing: services/web/openapi.yaml has no "
            "`#/nothing`",
            "1 problem found; nothing was changed",
        ],
    )
