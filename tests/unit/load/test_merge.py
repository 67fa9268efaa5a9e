from __future__ import annotations

from dockyard.errors import Position
from dockyard.load.merge import Layer, merge


def layer(name: str, values: dict) -> Layer:
    return Layer(name, values, lambda path: Position(name, len(path), 1))


def history(merged, path):
    return [(o.layer.name, o.position, o.value) for o in merged.overridden[path]]


def test_mappings_merge_deeply_and_scalars_are_replaced() -> None:
    merged = merge([layer("base", {"a": {"x": 1, "y": 2}, "b": 1}), layer("top", {"a": {"y": 3, "z": 4}})])
    assert merged.values == {"a": {"x": 1, "y": 3, "z": 4}, "b": 1}
    assert merged.position(("a", "x")) == Position("base", 2, 1)
    assert merged.position(("a", "y")) == Position("top", 2, 1)
    assert history(merged, ("a", "y")) == [("base", Position("base", 2, 1), 2)]


def test_lists_are_replaced_whole() -> None:
    merged = merge([layer("base", {"args": ["a", "b"]}), layer("top", {"args": ["c"]})])
    assert merged.values == {"args": ["c"]}
    assert history(merged, ("args",)) == [("base", Position("base", 1, 1), ["a", "b"])]


def test_explicit_null_removes_a_key_and_everything_below_it() -> None:
    merged = merge(
        [layer("base", {"autoscaling": {"enabled": True, "max": 5}, "keep": 1}), layer("top", {"autoscaling": None})]
    )
    assert merged.values == {"keep": 1}
    assert ("autoscaling", "enabled") not in merged.origin
    assert merged.removed[("autoscaling",)].name == "top"


def test_null_for_a_key_nobody_set_is_harmless() -> None:
    assert merge([layer("a", {"k": 1}), layer("b", {"other": None})]).values == {"k": 1}


def test_a_later_layer_can_set_a_removed_key_again() -> None:
    merged = merge([layer("a", {"k": 1}), layer("b", {"k": None}), layer("c", {"k": 2})])
    assert merged.values == {"k": 2}
    assert ("k",) not in merged.removed
    assert merged.origin[("k",)].name == "c"


def test_a_scalar_replacing_a_mapping_drops_the_mapping_origins() -> None:
    merged = merge([layer("a", {"k": {"x": 1}}), layer("b", {"k": "flat"})])
    assert merged.values == {"k": "flat"}
    assert ("k", "x") not in merged.origin


def test_history_lists_most_recent_override_first() -> None:
    merged = merge([layer("a", {"k": 1}), layer("b", {"k": 2}), layer("c", {"k": 3})])
    assert [name for name, _position, _value in history(merged, ("k",))] == ["b", "a"]


def test_merging_onto_a_base_leaves_the_base_untouched() -> None:
    base = merge([layer("defaults", {"replicas": 1, "rollout": {"maxSurge": "25%"}})])
    one = merge([layer("one", {"replicas": 3, "rollout": {"maxSurge": 1}})], onto=base)
    two = merge([layer("two", {"team": "x"})], onto=base)
    assert one.values == {"replicas": 3, "rollout": {"maxSurge": 1}}
    assert two.values == {"replicas": 1, "rollout": {"maxSurge": "25%"}, "team": "x"}
    assert base.values == {"replicas": 1, "rollout": {"maxSurge": "25%"}}
    assert ("replicas",) not in base.overridden


def test_layers_are_not_mutated() -> None:
    base = {"a": {"x": 1}}
    merge([layer("base", base), layer("top", {"a": {"x": 2}})])
    assert base == {"a": {"x": 1}}
