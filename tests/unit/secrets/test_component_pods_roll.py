"""A component's pods that read a Secret made from the repo's secrets (`components.<name>.secrets`)
roll when a value changes, as services' pods do: their template carries the digest of what they
read, and only of that."""

from __future__ import annotations

from pathlib import Path

import pyrage
import pytest

from dockyard.render.bundle import DIGEST_ANNOTATION
from dockyard.render.components.objects import ChartStore, render_components
from dockyard.secrets import keys, rules, store
from tests.charts import helm, index, make_chart, package, platform_of, platform_repo, serve
from tests.helpers import run_cli

IDENTITY = pyrage.x25519.Identity.generate()


def _deployment(name: str, pod: str) -> str:
    return (
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}}}\nspec:\n"
        f"  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n    metadata: {{labels: {{app: {name}}}}}\n"
        f"    spec:\n{pod}"
    )


TEMPLATES = {
    "reads.yaml": _deployment(
        "reads",
        "      containers:\n        - name: api\n          image: registry.example.org/api:1\n          env:\n"
        "            - name: TOKEN\n              valueFrom:\n                secretKeyRef:\n"
        "                  name: {{ .Values.existingSecret }}\n                  key: token\n",
    ),
    "mounts.yaml": _deployment(
        "mounts",
        "      containers:\n        - name: api\n          image: registry.example.org/api:1\n"
        "      volumes:\n        - name: creds\n          secret: {secretName: '{{ .Values.existingSecret }}'}\n",
    ),
    "other.yaml": _deployment(
        "other", "      containers:\n        - name: api\n          image: registry.example.org/api:1\n"
    ),
}


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    monkeypatch.setenv(keys.KEY_ENV, str(IDENTITY))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv(keys.KEY_FILE_ENV, raising=False)
    chart = make_chart(tmp_path / "src", "api", values={"existingSecret": ""}, templates=TEMPLATES)
    package(chart, tmp_path / "charts")
    with serve(tmp_path / "charts") as url:
        index(tmp_path / "charts", url)
        root = platform_repo(
            tmp_path / "platform",
            f"  api:\n    chart: {{repository: '{url}', name: api, version: 1.0.0}}\n"
            "    namespace: api\n    stage: platform-services\n"
            "    values: {existingSecret: api-credentials}\n"
            "    secrets:\n      api-credentials: {token: api.token}\n",
        )
        rules.add_layout_rule(root, [str(IDENTITY.to_public())])
        pulled = run_cli(capsys, "charts", "pull", str(root))
        assert pulled.code == 0, pulled.err
        yield root


def _set(root: Path, value: str) -> None:
    target = store.layer_file(root, "secrets/platform.yaml")
    previous = store.open_secrets(target, keys.identities())
    store.save(target, store.with_value(previous.values if previous else {}, "api.token", value), previous)


def _digests(root: Path) -> dict[str, str | None]:
    objects = render_components(platform_of(root), ChartStore(helm())).objects
    return {
        r.name: (r.manifest["spec"]["template"]["metadata"].get("annotations") or {}).get(DIGEST_ANNOTATION)
        for r in objects
        if r.kind == "Deployment"
    }


@pytest.mark.tools
def test_pods_that_read_the_secret_roll_when_a_value_changes_and_only_they(repo: Path) -> None:
    _set(repo, "first-value")
    first = _digests(repo)
    assert first["other"] is None  # reads nothing of the repo's secrets: never rolled by them
    assert first["reads"] is not None and first["reads"] == first["mounts"]  # env and volume alike
    assert _digests(repo) == first  # the same input, the same digest
    _set(repo, "second-value")
    second = _digests(repo)
    assert second["reads"] is not None and second["reads"] != first["reads"]
    assert second["other"] is None
    assert "first-value" not in str(second) and "second-value" not in str(second)
