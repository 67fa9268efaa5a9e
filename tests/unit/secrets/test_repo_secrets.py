"""A `secret` resource `from: repo`: rendered without its values (a digest of the ciphertexts
instead), filled in memory only when applied, layered like values, and never hashed into the
inventory."""

from __future__ import annotations

import base64
from pathlib import Path

import pyrage
import pytest
import yaml

from dockyard import actions
from dockyard.deploy.observed import intent, marker
from dockyard.errors import InputError, Problems
from dockyard.model.platform import Platform
from dockyard.render.bundle import DIGEST_ANNOTATION, Bundle, to_yaml
from dockyard.render.services import render as render_services
from dockyard.secrets import keys, rules, store
from dockyard.secrets.store import SecretsError
from dockyard.secrets.unseal import unseal
from tests.helpers import copy_example

CANARY = "canary-repo-secret-5d1f"
IDENTITY = pyrage.x25519.Identity.generate()

SMTP = """  smtp:
    type: secret
    params:
      keys: [password]
      from: repo
"""


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(keys.KEY_ENV, str(IDENTITY))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))  # no key of this machine is found
    monkeypatch.delenv(keys.KEY_FILE_ENV, raising=False)
    root = copy_example(tmp_path / "repo")
    score = root / "services" / "orders" / "score.yaml"
    text = score.read_text().replace(
        "      DB_PASSWORD: ${resources.db.password}\n",
        "      DB_PASSWORD: ${resources.db.password}\n      SMTP_PASSWORD: ${resources.smtp.password}\n",
    )
    score.write_text(text + SMTP)
    rules.add_layout_rule(root, [str(IDENTITY.to_public())])
    return root


def _set(root: Path, file: str, key: str, value: str) -> None:
    target = store.layer_file(root, file)
    previous = store.open_secrets(target, keys.identities())
    store.save(target, store.with_value(previous.values if previous else {}, key, value), previous)


def _render(root: Path, cluster: str = "local") -> tuple[Platform, Bundle]:
    platform = actions.platform_for(actions.load_repo(root), cluster)
    return platform, render_services(platform)


def _secret(bundle: Bundle) -> dict[str, object]:
    return next(r.manifest for r in bundle.objects if r.kind == "Secret" and r.name == "orders-smtp")


def _pod_annotations(bundle: Bundle) -> dict[str, str]:
    deployment = next(r.manifest for r in bundle.objects if r.kind == "Deployment" and r.name == "orders")
    return deployment["spec"]["template"]["metadata"].get("annotations") or {}


def test_rendered_without_values_and_filled_only_in_memory(repo: Path) -> None:
    _set(repo, "secrets/platform.yaml", "smtp.password", CANARY)
    platform, bundle = _render(repo)
    secret = _secret(bundle)
    assert secret == {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": secret["metadata"],
        "type": "Opaque",
    }
    assert set(secret["metadata"]["annotations"]) >= {DIGEST_ANNOTATION}  # type: ignore[index]
    env = next(r.manifest for r in bundle.objects if r.kind == "Deployment")["spec"]["template"]["spec"]["containers"]
    assert {"name": "SMTP_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "orders-smtp", "key": "password"}}} in env[
        0
    ]["env"]
    assert CANARY not in to_yaml(r.manifest for r in bundle.objects)
    filled = unseal(bundle, platform).bundle
    assert _secret(filled)["data"] == {"password": base64.b64encode(CANARY.encode()).decode()}
    assert "data" not in _secret(bundle)  # the render itself is untouched


def test_a_changed_value_changes_the_digest_of_the_secret_and_of_the_pods(repo: Path) -> None:
    _set(repo, "secrets/platform.yaml", "smtp.password", CANARY)
    _platform, before = _render(repo)
    _set(repo, "secrets/platform.yaml", "smtp.password", CANARY + "-2")
    _platform, after = _render(repo)
    digest = DIGEST_ANNOTATION
    assert _secret(before)["metadata"]["annotations"][digest] != _secret(after)["metadata"]["annotations"][digest]  # type: ignore[index]
    assert _pod_annotations(before)[digest] != _pod_annotations(after)[digest]
    _set(repo, "secrets/platform.yaml", "other.key", "x")  # another key: nothing of this Secret changed
    _platform, unrelated = _render(repo)
    assert _pod_annotations(unrelated)[digest] == _pod_annotations(after)[digest]


def test_the_most_specific_layer_wins(repo: Path) -> None:
    _set(repo, "secrets/platform.yaml", "smtp.password", "platform")
    _set(repo, "secrets/dev.yaml", "smtp.password", "dev")
    _set(repo, "secrets/prod-eu.yaml", "smtp.password", "prod-eu")
    values = {}
    for cluster in ("local", "prod-eu"):
        platform, bundle = _render(repo, cluster)
        values[cluster] = base64.b64decode(_secret(unseal(bundle, platform).bundle)["data"]["password"]).decode()  # type: ignore[index]
    assert values == {"local": "dev", "prod-eu": "prod-eu"}
    _set(repo, "services/orders/secrets.yaml", "smtp.password", "own")
    platform, bundle = _render(repo, "prod-eu")
    assert base64.b64decode(_secret(unseal(bundle, platform).bundle)["data"]["password"]).decode() == "own"  # type: ignore[index]


def test_validate_names_the_files_looked_in(repo: Path) -> None:
    found = Problems()
    actions.validate_cluster(actions.platform_for(actions.load_repo(repo), "local"), found)
    errors = found.errors
    assert [str(e) for e in errors] == [
        "services/orders/score.yaml:49:3: resource `smtp`: no secret `smtp.password` in "
        "services/orders/secrets.yaml, secrets/local.yaml, secrets/dev.yaml or secrets/platform.yaml; "
        "set it with `dockyard secrets set smtp.password --file FILE` (the value from stdin)"
    ]


def test_without_a_key_that_opens_the_file_nothing_is_filled(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _set(repo, "secrets/platform.yaml", "smtp.password", CANARY)
    platform, bundle = _render(repo)
    monkeypatch.setenv(keys.KEY_ENV, str(pyrage.x25519.Identity.generate()))
    with pytest.raises(SecretsError) as raised:
        unseal(bundle, platform)
    assert str(raised.value).startswith("secrets/platform.yaml: none of the age keys at hand opens it")
    assert str(raised.value).endswith("; nothing was written")


def test_secrets_files_that_are_not_encrypted_or_name_no_layer_are_refused(repo: Path) -> None:
    (repo / "secrets").mkdir()
    (repo / "secrets" / "platform.yaml").write_text("smtp:\n  password: hunter2\n")
    _set(repo, "secrets/prdo.yaml", "smtp.password", "x")
    with pytest.raises(InputError) as raised:
        actions.load_repo(repo)
    assert str(raised.value) == (
        "secrets/platform.yaml:1:1: not an encrypted file: it has no `sops:` section\n"
        "  hint: write it with `dockyard secrets set` or `dockyard secrets edit` (or `sops`), never by hand\n"
        "secrets/prdo.yaml:1:1: `prdo` is neither `platform` nor an environment or a cluster: no cluster reads "
        "this file\n"
        "  hint: did you mean `prod`?"
    )
    assert "hunter2" not in str(raised.value)


def test_no_inventory_hash_is_taken_of_a_value() -> None:
    one = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"k": "YQ=="}}
    two = {**one, "data": {"k": "Yg=="}}
    assert intent(one) == intent(two)  # the digest annotation carries a change of a repo secret
    assert marker(one) != marker(two)  # a keyed digest: the drift watch still sees a changed value
    listed = {key: value for key, value in one.items() if key != "kind"}  # a LIST's item has no kind
    assert marker(listed, "Secret") == marker(one)


COMPONENT_SECRETS = """components:
  envoy-gateway:
    secrets:
      relay-credentials:
        token: relay.token
"""


@pytest.mark.tools
def test_a_component_gets_a_secret_made_from_them(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.helpers import replace, run_cli

    _set(repo, "secrets/platform.yaml", "smtp.password", CANARY)
    replace(repo, "clusters/local.yaml", "components:\n", COMPONENT_SECRETS)
    missing = run_cli(capsys, "render", str(repo), "-c", "local")
    assert missing.code == 1
    assert (
        "clusters/local.yaml:21:16: component `envoy-gateway`: no secret `relay.token` in secrets/local.yaml, "
        "secrets/dev.yaml or secrets/platform.yaml\n"
        "  hint: set it with `dockyard secrets set relay.token --file FILE` (the value from stdin)"
    ) in missing.err
    assert missing.err.endswith("1 problem found; nothing was changed\n")  # once, though the component has two parts
    _set(repo, "secrets/dev.yaml", "relay.token", CANARY + "-relay")
    rendered = run_cli(capsys, "render", str(repo), "-c", "local")
    assert rendered.code == 0, rendered.err
    secret = next(
        o
        for o in yaml.safe_load_all(rendered.out)
        if o and o["kind"] == "Secret" and o["metadata"]["name"] == "relay-credentials"
    )
    assert secret["metadata"]["namespace"] == "dockyard-gateway" and "data" not in secret
    assert secret["metadata"]["annotations"]["dockyard.dev/stage"] == "platform-networking"
    assert DIGEST_ANNOTATION in secret["metadata"]["annotations"]
    assert CANARY not in rendered.out
    checked = run_cli(capsys, "check", str(repo), "-c", "local")
    assert checked.code == 0, checked.out + checked.err
    platform = actions.platform_for(actions.load_repo(repo), "local")
    filled = unseal(actions.render_for(platform), platform).bundle
    relay = next(r.manifest for r in filled.objects if r.kind == "Secret" and r.name == "relay-credentials")
    assert base64.b64decode(relay["data"]["token"]).decode() == CANARY + "-relay"


@pytest.mark.parametrize(
    ("shadow", "what"),
    [
        ("smtp:\n    password: ''\n", "it is empty"),
        ("smtp:\n    password: [x]\n", "a list"),
        ("smtp:\n    password:\n        inner: x\n", "a mapping of more keys"),
        ("smtp:\n    password: plain\n", "it is in clear text"),
    ],
)
def test_a_more_specific_layer_that_holds_no_encrypted_value_is_an_error_never_a_fall_through(
    repo: Path, shadow: str, what: str
) -> None:
    """A tampered cluster file that adds an empty (or list, or clear) value under a key must not
    make the platform layer's value, or an empty one, silently the secret."""
    _set(repo, "secrets/platform.yaml", "smtp.password", CANARY)
    _set(repo, "secrets/local.yaml", "other", "x")
    local = repo / "secrets" / "local.yaml"
    local.write_text(shadow + local.read_text())
    found = Problems()
    actions.validate_cluster(actions.platform_for(actions.load_repo(repo), "local"), found)
    errors = found.errors
    assert [str(e) for e in errors] == [
        f"secrets/local.yaml:{'2:15' if 'inner' not in shadow else '3:9'}: `smtp.password` in secrets/local.yaml "
        f"is not an encrypted value ({what}), so it cannot be a secret\n"
        "  hint: set it with `dockyard secrets set` (the value from stdin); take the file back from git if it was "
        "not you"
    ]


def test_every_layer_file_is_verified_when_secrets_are_filled(repo: Path) -> None:
    """A value removed from a more specific layer falls through to a less specific one; its MAC
    says the file was changed, so the apply stops, though no value of that file is used."""
    _set(repo, "secrets/platform.yaml", "smtp.password", CANARY)
    _set(repo, "secrets/local.yaml", "smtp.password", "local")
    _set(repo, "secrets/local.yaml", "other", "x")
    local = repo / "secrets" / "local.yaml"
    local.write_text("\n".join(line for line in local.read_text().splitlines() if "password" not in line) + "\n")
    platform, bundle = _render(repo)
    assert _secret(bundle)  # rendered from the platform layer
    with pytest.raises(InputError, match=r"secrets/local.yaml:.*the values do not match the file's MAC"):
        unseal(bundle, platform)


@pytest.mark.tools
def test_argo_cd_applications_are_refused_where_argo_cd_would_apply_secrets_without_values(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.helpers import run_cli

    _set(repo, "secrets/platform.yaml", "smtp.password", CANARY)
    url = "https://git.example.org/shop/platform.git"
    refused = run_cli(capsys, "render", str(repo), "-c", "local", "--argocd", "--repo-url", url)
    assert (refused.code, refused.err.strip()) == (
        2,
        "error: Secrets made from the repo's encrypted secrets (shop/orders-smtp) are filled only by "
        "Dockyard's own apply or sync controller; Argo CD would apply them without their values: sync with "
        "`dockyard sync`",
    )


@pytest.mark.tools
def test_a_component_secret_cannot_take_the_name_of_a_generated_one(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.helpers import replace, run_cli

    _set(repo, "secrets/platform.yaml", "smtp.password", CANARY)
    _set(repo, "secrets/platform.yaml", "db.password", "x")
    replace(
        repo,
        "clusters/local.yaml",
        "components:\n",
        "components:\n  platform-postgres:\n    secrets:\n      platform-postgres-role-orders:\n"
        "        password: db.password\n",
    )
    refused = run_cli(capsys, "render", str(repo), "-c", "local")
    assert refused.code == 1
    assert refused.err.startswith(
        "clusters/local.yaml:21:9: component `platform-postgres`: Secret "
        "dockyard-databases/platform-postgres-role-orders is one a lifecycle task makes (a generated credential)\n"
        "  hint: name it otherwise; to keep a generated value in the repo, `dockyard secrets export-generated`"
    )
