from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dockyard.errors import InputError, Position, Problem
from dockyard.load.yamlsafe import Document, parse


def ok(text: str) -> Document:
    return parse("f.yaml", text.encode())


def refusal(raw: bytes) -> Problem:
    """The one problem `parse` raises for `raw`."""
    with pytest.raises(InputError) as refused:
        parse("f.yaml", raw)
    (problem,) = refused.value.problems
    return problem


def test_yaml_1_2_core_schema() -> None:
    data = ok("a: yes\nb: on\nc: 012\nd: 0o17\ne: 0x1F\nf: 1.5\ng: ~\nh: true\ni: .inf\n").data
    assert data == {"a": "yes", "b": "on", "c": 12, "d": 15, "e": 31, "f": 1.5, "g": None, "h": True, "i": float("inf")}


def test_positions_of_values_and_keys_are_one_based() -> None:
    document = ok("top:\n  inner: [1, 2]\n")
    assert document.position(("top", "inner")) == Position("f.yaml", 2, 10)
    assert document.position(("top", "inner"), key=True) == Position("f.yaml", 2, 3)
    assert document.position(("top", "inner", 1)) == Position("f.yaml", 2, 14)


def test_a_missing_path_falls_back_to_the_nearest_ancestor() -> None:
    document = ok("top:\n  inner: 1\n")
    assert document.position(("top", "absent", "deeper")) == Position("f.yaml", 2, 3)


def test_merge_keys_are_rejected() -> None:
    assert refusal(b"a: &a {x: 1}\nb:\n  <<: *a\n") == Problem(
        Position("f.yaml", 3, 3),
        "merge keys (`<<`) are not supported",
        "write the keys out; Dockyard's layers already merge values",
    )


def test_small_aliases_are_fine() -> None:
    assert ok("a: &a [1, 2]\nb: *a\n").data == {"a": [1, 2], "b": [1, 2]}


def test_a_second_document_is_rejected() -> None:
    assert refusal(b"a: 1\n---\nb: 2\n") == Problem(
        Position("f.yaml", 3, 1), "a second YAML document (`---`) is not allowed here", "keep one document per file"
    )


def test_brackets_inside_values_do_not_count_as_nesting() -> None:
    single = "pattern: ^[a-z]+$\nquoted: '" + "[" * 100 + "'\nc: 1 # " + "[" * 100 + "\n"
    assert ok(single).data["quoted"] == "[" * 100


def test_a_byte_order_mark_is_ignored() -> None:
    assert ok("\ufeffa: 1\n").data == {"a": 1}


scalars = st.one_of(
    st.integers(-(10**6), 10**6),
    st.booleans(),
    st.none(),
    st.text(st.characters(codec="utf-8", categories=("L", "N", "Zs"), include_characters="-_./@ "), max_size=20),
)
trees = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.from_regex(r"[a-z][a-z0-9]{0,8}", fullmatch=True), inner, max_size=4),
    ),
    max_leaves=20,
)


@settings(max_examples=40, deadline=None)
@given(st.dictionaries(st.from_regex(r"[a-z][a-z0-9]{0,8}", fullmatch=True), trees, min_size=1, max_size=5))
def test_round_trips_what_a_yaml_1_2_writer_produces(tree: dict) -> None:
    import io

    from ruamel.yaml import YAML

    writer = YAML(typ="safe", pure=True)
    writer.version = (1, 2)
    stream = io.StringIO()
    writer.dump(tree, stream)
    assert ok(stream.getvalue()).data == tree


INDICATORS = [
    *("[", "{", "]", "}", ", ", "- ", "? ", ": ", "\n", "  ", "# c\n", "|\n", ">\n", "--- ", "... "),
    *("!!map ", "!!seq ", "!!str ", "!t ", "&a ", "*a ", "<<: ", "a", "1", "'q'", '"d"', '"\\ud800"', "%YAML 1.1\n"),
]


OPENERS = ["[", "{", "- ", "? ", "a: ", "!!map ", "!!seq ", "!t ", "&a ", "\n  "]
"""What opens a level of nesting, or may come before what does."""


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.sampled_from(OPENERS), min_size=1, max_size=2),
    st.integers(50_000, 150_000),
    st.lists(st.sampled_from(INDICATORS), max_size=200),
)
def test_any_text_of_yaml_indicators_is_read_or_refused_never_a_crash(
    pattern: list[str], repeat: int, rest: list[str]
) -> None:
    """The parser's composer recurses on the C stack without a limit of its own: whatever nesting a
    file holds, parse returns a document or refuses it with a placed problem (a crash would end the
    test run). One or two openers repeated tens of thousands of times make deep nesting of every
    shape (a file over the size limit is refused before any parsing)."""
    text = "".join(pattern) * repeat + "".join(rest)
    try:
        document = parse("f.yaml", text.encode())
    except InputError as error:
        assert error.problems and all(p.position.file == "f.yaml" and p.position.line >= 1 for p in error.problems)
    else:
        assert document.file == "f.yaml"
