"""What lets a plan skip an object: its intent (what Dockyard applies) and its live marker (what the
last apply left), each a hash that changes exactly when it should."""

from __future__ import annotations

import copy

from dockyard.deploy.observed import Observed, intent, marker

LIVE = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {
        "name": "api",
        "namespace": "shop",
        "labels": {"app": "api"},
        "resourceVersion": "101",
        "generation": 3,
        "managedFields": [{"manager": "dockyard", "time": "2026-11-28T10:00:00Z"}],
    },
    "spec": {"replicas": 2, "template": {"spec": {"containers": [{"name": "main", "image": "x:1"}]}}},
    "status": {"readyReplicas": 2},
}


def _changed(edit: str) -> dict:
    live = copy.deepcopy(LIVE)
    if edit == "status":
        live["status"] = {"readyReplicas": 1}
    elif edit == "bookkeeping":
        live["metadata"].update(resourceVersion="205", generation=4, managedFields=[])
    elif edit == "list item":
        del live["apiVersion"], live["kind"]
    elif edit == "label":
        live["metadata"]["labels"] = {"app": "other"}
    elif edit == "spec":
        live["spec"]["replicas"] = 3
    return live


def test_status_and_bookkeeping_do_not_change_the_marker() -> None:
    for edit in ("status", "bookkeeping", "list item"):
        assert marker(_changed(edit)) == marker(LIVE), edit


def test_a_change_to_content_changes_the_marker() -> None:
    for edit in ("label", "spec"):
        assert marker(_changed(edit)) != marker(LIVE), edit


def test_the_intent_follows_the_manifest_and_key_order_does_not_matter() -> None:
    manifest = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "data": {"x": "1", "y": "2"}}
    reordered = {"kind": "ConfigMap", "data": {"y": "2", "x": "1"}, "metadata": {"name": "a"}, "apiVersion": "v1"}
    assert intent(manifest) == intent(reordered)
    assert intent(manifest) != intent({**manifest, "data": {"x": "1", "y": "3"}})


def test_a_recorded_entry_reads_back_and_a_broken_one_is_none() -> None:
    entry = Observed(intent(LIVE), marker(LIVE))
    assert Observed.decode(entry.encode()) == entry
    assert Observed.decode("only-one-part") is None
