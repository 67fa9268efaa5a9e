from __future__ import annotations

import pytest

from dockyard.render.placeholders import Context, SecretRef, Unresolvable, expand, expand_plain

CONTEXT = Context(
    {"name": "orders", "annotations": {"team": "shop"}},
    {"db": {"host": "db.svc", "password": SecretRef("db-app", "password")}, "empty": {}},
)


def test_plain_text_and_metadata() -> None:
    assert expand("${metadata.name}/${metadata.annotations.team}", CONTEXT) == ["orders/shop"]


def test_double_dollar_is_a_literal_dollar() -> None:
    assert expand("$${metadata.name} costs $$5", CONTEXT) == ["${metadata.name} costs $5"]


def test_a_secret_output_stays_a_reference() -> None:
    assert expand("pw=${resources.db.password}!", CONTEXT) == ["pw=", SecretRef("db-app", "password"), "!"]


def test_secrets_are_refused_where_only_text_can_go() -> None:
    with pytest.raises(Unresolvable) as refused:
        expand_plain("${resources.db.password}", CONTEXT, "file content")
    assert str(refused.value) == "file content cannot hold a secret output; pass it as a container variable instead"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("${resources.dbx.host}", "`${resources.dbx.host}`: no resource `dbx` in this workload (resources: db, empty)"),
        (
            "${resources.db.port}",
            "`${resources.db.port}`: resource `db` has no output `port` (outputs: host, password)",
        ),
        ("${metadata.owner}", "`${metadata.owner}`: the workload's metadata has no `owner`"),
        (
            "${HOME}",
            "`${HOME}` is not a placeholder Dockyard knows; use ${metadata.<key>} or "
            "${resources.<id>.<output>}, and $$ for a literal $",
        ),
    ],
)
def test_unresolvable_placeholders_say_what_is_missing(text: str, message: str) -> None:
    with pytest.raises(Unresolvable) as failure:
        expand(text, CONTEXT)
    assert str(failure.value) == message
