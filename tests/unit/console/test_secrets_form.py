"""The form's secrets: a service's `secret` resources by name, keys and where the values come from.
Each key becomes a variable by reference; a secret removed takes its variables with it; the params
of another source go when the source changes; the console never sees a value."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from dockyard import actions
from dockyard.console.secrets_form import variable
from dockyard.render import services
from tests.helpers import git

PAYMENTS = {
    "name": "payments",
    "team": "shop",
    "image": "ghcr.io/dockyard-examples/payments:0.9.1",
    "port": "8080",
    "health_path": "/healthz",
    "calls": ["orders"],
}
SCORE = "services/payments/score.yaml"
PROVIDER = {"id": "provider", "keys": ["apiKey"]}


def _score(repo: Path) -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((repo / SCORE).read_text())


def _rendered(repo: Path, kind: str, name: str) -> dict:  # type: ignore[type-arg]
    platform = actions.platform_for(actions.load_repo(repo), "local")
    found = services.render(platform)
    return next(o.manifest for o in found.objects if o.kind == kind and o.name == name)


def test_each_key_is_a_variable_named_after_the_secret_and_the_key() -> None:
    assert variable("smtp", "password") == "SMTP_PASSWORD"
    assert variable("provider", "apiKey") == "PROVIDER_API_KEY"
    assert variable("tls", "ca.crt") == "TLS_CA_CRT"


def test_the_edit_form_shows_the_secrets_and_hides_their_variables(
    signed_in: Callable[..., TestClient], repo: Path
) -> None:
    page = signed_in("editor").get("/services/payments/edit").text
    assert 'name="secret_id" value="provider"' in page
    assert 'name="secret_keys" value="apiKey"' in page
    assert page.count('name="secret_id"') == 2  # and an empty row for a new one
    assert "PROVIDER_API_KEY" not in page.split('name="variables"')[1].split("</textarea>")[0]


def test_a_secret_added_removed_and_moved_between_sources(signed_in: Callable[..., TestClient], repo: Path) -> None:
    client = signed_in("editor")
    smtp = {"id": "smtp", "keys": "username, password", "from": "outside"}
    added = client.put("/api/services/payments", json={**PAYMENTS, "secrets": [PROVIDER, smtp]})
    assert added.status_code == 200, added.text
    score = _score(repo)
    assert score["resources"]["smtp"] == {"type": "secret", "params": {"keys": ["username", "password"]}}
    assert "  smtp:\n    type: secret\n    params:\n      keys: [username, password]\n" in (repo / SCORE).read_text()
    variables = score["containers"]["api"]["variables"]
    assert variables["SMTP_USERNAME"] == "${resources.smtp.username}"
    assert variables["SMTP_PASSWORD"] == "${resources.smtp.password}"
    assert variables["PROVIDER_API_KEY"] == "${resources.provider.apiKey}"  # kept as written
    env = {
        e["name"]: e
        for e in _rendered(repo, "Deployment", "payments")["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    assert env["SMTP_PASSWORD"]["valueFrom"] == {"secretKeyRef": {"name": "payments-smtp", "key": "password"}}

    stored = {"id": "smtp", "keys": ["password"], "from": "store", "store": "vault"}
    moved = client.put("/api/services/payments", json={**PAYMENTS, "secrets": [PROVIDER, stored]})
    assert moved.status_code == 200, moved.text
    score = _score(repo)
    assert score["resources"]["smtp"]["params"] == {"keys": ["password"], "from": "store", "store": "vault"}
    assert "SMTP_USERNAME" not in score["containers"]["api"]["variables"]  # a key removed takes its variable
    external = _rendered(repo, "ExternalSecret", "payments-smtp")
    assert external["spec"]["secretStoreRef"] == {"kind": "ClusterSecretStore", "name": "vault"}
    assert external["spec"]["data"] == [
        {"secretKey": "password", "remoteRef": {"key": "payments/smtp", "property": "password"}}
    ]

    text = (repo / SCORE).read_text().replace("store: vault", "store: vault\n      remoteKey: mail/smtp  # shared")
    (repo / SCORE).write_text(text)
    git(repo, "commit", "-qam", "a remote key by hand")
    back = client.put("/api/services/payments", json={**PAYMENTS, "secrets": [PROVIDER, {**stored, "from": "outside"}]})
    assert back.status_code == 200, back.text
    assert _score(repo)["resources"]["smtp"]["params"] == {"keys": ["password"]}  # the store's params went with it

    dotted = {"id": "tls", "keys": "ca.crt"}
    escaped = client.put("/api/services/payments", json={**PAYMENTS, "secrets": [PROVIDER, stored, dotted]})
    assert escaped.status_code == 200, escaped.text
    assert _score(repo)["containers"]["api"]["variables"]["TLS_CA_CRT"] == "${resources.tls.ca\\.crt}"
    env = {
        e["name"]: e
        for e in _rendered(repo, "Deployment", "payments")["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    assert env["TLS_CA_CRT"]["valueFrom"] == {"secretKeyRef": {"name": "payments-tls", "key": "ca.crt"}}

    removed = client.put("/api/services/payments", json={**PAYMENTS, "secrets": [PROVIDER]})
    assert removed.status_code == 200, removed.text
    score = _score(repo)
    assert "smtp" not in score["resources"]
    assert not [name for name in score["containers"]["api"]["variables"] if name.startswith("SMTP_")]
    assert "# payments marks orders paid" in (repo / SCORE).read_text()  # the comments kept
    assert git(repo, "status", "--porcelain") == ""


def test_a_request_that_does_not_name_the_secrets_keeps_them(signed_in: Callable[..., TestClient], repo: Path) -> None:
    answer = signed_in("editor").put("/api/services/payments", json={**PAYMENTS, "replicas": 2})
    assert answer.status_code == 200, answer.text
    assert _score(repo)["resources"]["provider"] == {"type": "secret", "params": {"keys": ["apiKey"]}}
    assert _score(repo)["containers"]["api"]["variables"]["PROVIDER_API_KEY"] == "${resources.provider.apiKey}"


def test_the_page_posts_one_row_per_secret_and_an_empty_row_is_none(
    signed_in: Callable[..., TestClient], repo: Path
) -> None:
    client = signed_in("editor")
    page = client.get("/services/payments/edit").text
    base = page.split('name="base" value="')[1].split('"')[0]
    csrf = page.split('name="csrf" value="')[1].split('"')[0]
    rows = {
        "secret_id": ["provider", "smtp", ""],
        "secret_keys": ["apiKey", "password", ""],
        "secret_from": ["outside", "outside", "outside"],
        "secret_store": ["", "", ""],
    }
    form = {**{k: v for k, v in PAYMENTS.items() if k != "calls"}, "calls": ["", "orders"], "base": base}
    answer = client.post("/services/payments", data={**form, **rows, "csrf": csrf}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    assert set(_score(repo)["resources"]) == {"orders", "provider", "smtp"}
    assert _score(repo)["containers"]["api"]["variables"]["SMTP_PASSWORD"] == "${resources.smtp.password}"


@pytest.mark.parametrize(
    ("secrets", "message"),
    [
        (
            [{"id": "Smtp", "keys": ["a"]}],
            "`Smtp` is not a secret's name: lower-case letters, digits and dashes, starting with a letter",
        ),
        (
            [{"id": "smtp\n", "keys": ["a"]}],  # a line end after the name is no part of one
            "`smtp\\n` is not a secret's name: lower-case letters, digits and dashes, starting with a letter",
        ),
        (
            [{"id": "", "keys": "user, password"}],
            "the secret with the keys `user, password` has no name: give it one "
            "(lower-case letters, digits and dashes)",
        ),
        ([{"id": "smtp", "keys": [".."]}], "secret `smtp`: `..` is not a key (letters, digits, `-`, `_` and `.`)"),
        ([{"id": "smtp", "keys": [1, 2]}], "secret `smtp`: list its keys, e.g. `username, password`"),
        (
            [{"id": "smtp", "keys": ["a"], "from": False}],
            "secret `smtp`: choose where its values come from: outside, repo, store",
        ),
        (
            [{"id": "smtp", "keys": ["user-name", "userName"]}],
            "`userName` of `smtp` and `user-name` of `smtp` would both be given as `SMTP_USER_NAME`: "
            "rename one of the keys",
        ),
        (
            [{"id": "a-b", "keys": ["c"]}, {"id": "a", "keys": ["b-c"]}],
            "`b-c` of `a` and `c` of `a-b` would both be given as `A_B_C`: rename one of the keys",
        ),
        ([{"id": "smtp", "keys": []}], "secret `smtp`: list its keys, e.g. `username, password`"),
        (
            [{"id": "smtp", "keys": "pass word/x"}],
            "secret `smtp`: `word/x` is not a key (letters, digits, `-`, `_` and `.`)",
        ),
        ([PROVIDER, PROVIDER], "`provider` names two secrets: give each its own name"),
        (
            [{"id": "smtp", "keys": ["a"], "from": "vault"}],
            "secret `smtp`: choose where its values come from: outside, repo, store",
        ),
        (
            [{"id": "smtp", "keys": ["a"], "from": "store"}],
            "secret `smtp`: name the ClusterSecretStore that reaches the secret manager",
        ),
        (
            [{"id": "smtp", "keys": ["a"], "value": "hunter2"}],
            "a secret has no `value`: give `id`, `keys`, `from` and `store`",
        ),
        ({"smtp": ["a"]}, "must be a list of secrets, each with `id`, `keys`, `from` and `store`"),
        (
            [{"id": "orders", "keys": ["a"]}],
            "`orders` is already the name of the call of the service `orders`: give the secret another name",
        ),
    ],
)
def test_what_cannot_be_a_secret_is_said_at_the_field_and_nothing_is_written(
    signed_in: Callable[..., TestClient], repo: Path, secrets: object, message: str
) -> None:
    before = (repo / SCORE).read_text()
    answer = signed_in("editor").put("/api/services/payments", json={**PAYMENTS, "secrets": secrets})
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"]["secrets"] == [message]
    assert (repo / SCORE).read_text() == before and git(repo, "status", "--porcelain") == ""


def test_a_secret_from_the_repo_without_its_value_says_how_to_set_it(
    signed_in: Callable[..., TestClient], repo: Path
) -> None:
    from_repo = {"id": "smtp", "keys": ["password"], "from": "repo"}
    answer = signed_in("editor").put("/api/services/payments", json={**PAYMENTS, "secrets": [PROVIDER, from_repo]})
    assert answer.status_code == 422, answer.text
    said = answer.json()["errors"]["secrets"]
    assert len(said) == 2  # each cluster's layers are named: local's and prod-eu's
    for cluster, environment in (("local", "dev"), ("prod-eu", "prod")):
        assert (
            "services/payments/score.yaml:41:3: resource `smtp`: no secret `smtp.password` in "
            f"services/payments/secrets.yaml, secrets/{cluster}.yaml, secrets/{environment}.yaml or "
            "secrets/platform.yaml; set it with `dockyard secrets set smtp.password --file FILE` (the value from stdin)"
        ) in said
    assert git(repo, "status", "--porcelain") == ""


def test_a_secret_keeps_the_comments_and_the_style_written_around_it(repo: Path) -> None:
    from dockyard.console.form import current_fields, draft, parse_fields

    score = (
        (repo / SCORE)
        .read_text()
        .replace(
            "  provider:\n    type: secret\n    params:\n      keys: [apiKey]\n",
            "  provider:\n    type: secret\n    params:\n      keys:\n        - apiKey  # from the provider's portal\n"
            "        - webhookSecret  # rotated monthly\n      from: store\n      store: vault  # the team's vault\n"
            "  # the mail relay's login; shared with billing\n"
            "  smtp:\n    type: secret\n    params:\n      keys: [password]\n",
        )
    )

    def drafted(secrets: list[dict[str, object]]) -> str:
        box = current_fields("payments", {"score.yaml": score.encode()})["variables"]
        form, errors = parse_fields({**PAYMENTS, "variables": box, "secrets": secrets})
        assert errors == []
        return draft(form, {"score.yaml": score.encode()}).files[SCORE].decode()

    smtp = {"id": "smtp", "keys": ["password"]}
    provider = {"id": "provider", "keys": ["apiKey", "webhookSecret"], "from": "store", "store": "vault"}
    assert drafted([provider, smtp]) == score  # as shown, as written
    added = drafted([{**provider, "keys": ["apiKey", "webhookSecret", "signingKey"]}, smtp])
    assert (
        "      keys:\n        - apiKey  # from the provider's portal\n        - webhookSecret  # rotated monthly\n"
        "        - signingKey\n      from: store\n"
    ) in added
    removed = drafted([{**provider, "keys": ["webhookSecret"]}, smtp])
    assert "      keys:\n        - webhookSecret  # rotated monthly\n      from: store\n" in removed
    moved = drafted([{**provider, "from": "outside"}, smtp])
    assert (
        "        - webhookSecret  # rotated monthly\n  # the mail relay's login; shared with billing\n  smtp:" in moved
    )
    assert "vault" not in moved
    gone = drafted([smtp])
    assert (
        "  # the mail relay's login; shared with billing\n  smtp:" in gone
        and "provider" not in gone.split("resources:")[1]
    )


def test_only_a_removed_keys_own_variable_goes_and_the_form_names_clashing_variables(
    signed_in: Callable[..., TestClient], repo: Path
) -> None:
    client = signed_in("editor")
    uses = {**PAYMENTS, "variables": {"PROVIDER_URL": "https://${resources.provider.apiKey}@pay.example"}}
    answer = client.put("/api/services/payments", json={**uses, "secrets": [{"id": "provider", "keys": ["token"]}]})
    assert answer.status_code == 422, answer.text  # a variable the person wrote is never dropped unsaid
    assert answer.json()["errors"]["variables"] == [
        "services/payments/score.yaml:11:21: `${resources.provider.apiKey}`: resource `provider` has no output "
        "`apiKey` (outputs: token)"
    ]
    clash = client.put(
        "/api/services/payments",
        json={**PAYMENTS, "cache": True, "secrets": [PROVIDER, {"id": "redis", "keys": ["password"]}]},
    )
    assert clash.status_code == 422, clash.text
    assert clash.json()["errors"]["secrets"] == [
        "`REDIS_PASSWORD`, the variable of the key `password` of the secret `redis`, is also the variable of its "
        "cache: give the secret another name"
    ]
    beside = client.put(
        "/api/services/payments",
        json={**PAYMENTS, "database": True, "secrets": [PROVIDER, {"id": "db", "keys": ["token"]}]},
    )
    assert beside.status_code == 200, beside.text  # the database ticked beside it takes another id
    resources = _score(repo)["resources"]
    assert resources["db"]["type"] == "secret" and resources["db-postgres"] == {"type": "postgres"}
    assert _score(repo)["containers"]["api"]["variables"]["DB_PASSWORD"] == "${resources.db-postgres.password}"


def test_a_form_shown_again_without_secret_rows_keeps_the_services_secrets(
    signed_in: Callable[..., TestClient], repo: Path
) -> None:
    client = signed_in("editor")
    page = client.get("/services/payments/edit").text
    csrf = page.split('name="csrf" value="')[1].split('"')[0]
    posted = {**{k: v for k, v in PAYMENTS.items() if k != "calls"}, "port": "99999", "csrf": csrf}
    refused = client.post("/services/payments", data=posted)  # a page made before the secrets were on it
    assert refused.status_code == 422
    assert 'name="secret_id" value="provider"' in refused.text


def test_a_resource_type_in_the_file_is_shown_safely_in_a_refusal(
    signed_in: Callable[..., TestClient], repo: Path
) -> None:
    (repo / SCORE).write_text((repo / SCORE).read_text() + '  smtp:\n    type: "<b>\\ud800"\n')
    git(repo, "commit", "-qam", "an odd type by hand")
    answer = signed_in("editor").post(
        "/api/drafts", json={**PAYMENTS, "secrets": [PROVIDER, {"id": "smtp", "keys": ["a"]}]}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["errors"]["secrets"] == [
        "`smtp` is already the name of its resource of type `<b>\\ud800`: give the secret another name"
    ]


def test_a_new_keys_variable_given_by_hand_too_is_refused(signed_in: Callable[..., TestClient], repo: Path) -> None:
    body = {
        **PAYMENTS,
        "variables": {"SMTP_PASSWORD": "hunter2"},
        "secrets": [PROVIDER, {"id": "smtp", "keys": ["password"]}],
    }
    answer = signed_in("editor").put("/api/services/payments", json=body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"]["secrets"] == [
        "`SMTP_PASSWORD`, the variable of the key `password` of the secret `smtp`, is also given in the variables: "
        "remove it there, or give the secret another name"
    ]
