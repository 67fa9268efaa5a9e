"""The form's disks: a `volume` resource of a size, mounted in the container at a folder. Changed
in place (the mount's other keys and the resource's other params kept), removed with its mount;
the ones the form does not show (mounted twice, by another container) kept as written."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from dockyard import actions
from dockyard.render import services
from tests.helpers import git

NOTES = {
    "name": "notes",
    "team": "shop",
    "image": "ghcr.io/acme/notes:1.0",
    "port": 8080,
    "health_path": "/healthz",
    "replicas": 1,
}
SCORE = "services/notes/score.yaml"
DATA = {"id": "data", "target": "/var/lib/notes", "size": "10Gi"}


def _score(repo: Path) -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((repo / SCORE).read_text())


def _rendered(repo: Path) -> dict[str, dict]:  # type: ignore[type-arg]
    platform = actions.platform_for(actions.load_repo(repo), "local")
    found = services.render(platform)
    return {f"{o.kind}/{o.name}": o.manifest for o in found.objects if o.name.startswith("notes")}


def test_a_disk_is_a_claim_mounted_where_the_form_says(signed_in: Callable[..., TestClient], repo: Path) -> None:
    client = signed_in("editor")
    added = client.post("/api/services", json={**NOTES, "volumes": [DATA]})
    assert added.status_code == 201, added.text
    score = _score(repo)
    assert score["resources"]["data"] == {"type": "volume", "params": {"size": "10Gi"}}
    assert score["containers"]["main"]["volumes"] == [{"source": "${resources.data}", "target": "/var/lib/notes"}]
    rendered = _rendered(repo)
    claim = rendered["PersistentVolumeClaim/notes-data"]
    assert claim["spec"]["resources"]["requests"]["storage"] == "10Gi"
    pod = rendered["Deployment/notes"]["spec"]["template"]["spec"]
    mounted = {m["mountPath"]: m["name"] for m in pod["containers"][0]["volumeMounts"]}
    claims = {v["name"]: v.get("persistentVolumeClaim", {}).get("claimName") for v in pod["volumes"]}
    assert claims[mounted["/var/lib/notes"]] == "notes-data"
    page = client.get("/services/notes/edit").text
    assert 'name="volume_id" value="data"' in page and 'name="volume_size" value="10Gi"' in page

    text = (
        (repo / SCORE)
        .read_text()
        .replace(
            "      - source: ${resources.data}\n        target: /var/lib/notes\n",
            "      - source: ${resources.data}  # the notes themselves\n        target: /var/lib/notes\n"
            "        readOnly: false\n",
        )
    )
    (repo / SCORE).write_text(text)
    git(repo, "commit", "-qam", "a comment and a key by hand")
    moved = client.put("/api/services/notes", json={**NOTES, "volumes": [{**DATA, "target": "/data", "size": "20Gi"}]})
    assert moved.status_code == 200, moved.text
    assert (
        "      - source: ${resources.data}  # the notes themselves\n        target: /data\n        readOnly: false\n"
        in ((repo / SCORE).read_text())
    )
    assert _score(repo)["resources"]["data"]["params"] == {"size": "20Gi"}

    kept = client.put("/api/services/notes", json={**NOTES, "replicas": 0})  # the disks not named: as they are
    assert kept.status_code == 200, kept.text
    assert _score(repo)["resources"]["data"]["params"] == {"size": "20Gi"}

    removed = client.put("/api/services/notes", json={**NOTES, "volumes": []})
    assert removed.status_code == 200, removed.text
    assert "resources" not in _score(repo) and "volumes" not in _score(repo)["containers"]["main"]
    assert git(repo, "status", "--porcelain") == ""


def test_a_disk_for_several_replicas_is_refused_at_the_disks(signed_in: Callable[..., TestClient], repo: Path) -> None:
    answer = signed_in("editor").post("/api/drafts", json={**NOTES, "replicas": 3, "new": True, "volumes": [DATA]})
    assert answer.status_code == 200, answer.text
    (said,) = answer.json()["errors"]["volumes"]
    assert "resource `data`: up to 3 pods mount this volume, but a ReadWriteOnce claim attaches to one node" in said


def test_the_page_posts_one_row_per_disk(signed_in: Callable[..., TestClient], repo: Path) -> None:
    client = signed_in("editor")
    csrf = client.get("/services/new").text.split('name="csrf" value="')[1].split('"')[0]
    rows = {"volume_id": ["data", ""], "volume_target": ["/var/lib/notes", ""], "volume_size": ["", ""]}
    posted = {**{k: str(v) for k, v in NOTES.items()}, **rows, "csrf": csrf}
    answer = client.post("/services", data=posted, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    assert _score(repo)["resources"] == {"data": {"type": "volume"}}  # the provisioner's 1Gi, not written


@pytest.mark.parametrize(
    ("volumes", "message"),
    [
        ([{"id": "Data", "target": "/d"}], "`Data` is not a disk's name"),
        ([{"id": "", "target": "/d"}], "a disk has no name: give it one (lower-case letters, digits and dashes)"),
        ([{"id": "data", "target": "var/lib"}], "disk `data`: `var/lib` is not a folder's path in the container"),
        ([{"id": "data", "target": "/"}], "disk `data`: `/` is not a folder's path in the container"),
        ([{"id": "data", "target": "/d", "size": "10GB"}], "disk `data`: its size is a whole number of Mi, Gi or Ti"),
        ([{"id": "data", "target": "/d"}, {"id": "data", "target": "/e"}], "`data` names two disks"),
        ([{"id": "a", "target": "/d"}, {"id": "b", "target": "/d"}], "two disks are mounted at `/d`"),
        ([{"id": "data", "target": "/d", "mode": "rw"}], "a disk has no `mode`"),
    ],
)
def test_what_cannot_be_a_disk_is_said_at_the_field(
    signed_in: Callable[..., TestClient], repo: Path, volumes: object, message: str
) -> None:
    answer = signed_in("editor").post("/api/drafts", json={**NOTES, "new": True, "volumes": volumes})
    assert answer.status_code == 200, answer.text
    (said,) = answer.json()["errors"]["volumes"]
    assert said.startswith(message), said


def test_a_disk_named_as_another_resource_is_refused_and_one_ticked_beside_it_moves(
    signed_in: Callable[..., TestClient], repo: Path
) -> None:
    client = signed_in("editor")
    taken = client.post(
        "/api/drafts",
        json={**NOTES, "new": True, "secrets": [{"id": "data", "keys": ["k"]}], "volumes": [DATA]},
    )
    assert taken.json()["errors"]["volumes"] == ["`data` is already the name of its secret: give the disk another name"]
    beside = client.post("/api/services", json={**NOTES, "database": True, "volumes": [{**DATA, "id": "db"}]})
    assert beside.status_code == 201, beside.text
    assert _score(repo)["resources"]["db"]["type"] == "volume" and _score(repo)["resources"]["db-postgres"]


def test_a_disk_mounted_twice_is_kept_as_written(signed_in: Callable[..., TestClient], repo: Path) -> None:
    client = signed_in("editor")
    assert client.post("/api/services", json={**NOTES, "volumes": [DATA]}).status_code == 201
    text = (
        (repo / SCORE)
        .read_text()
        .replace(
            "        target: /var/lib/notes\n",
            "        target: /var/lib/notes\n      - source: ${resources.data}\n        target: /srv/notes\n"
            "        path: archive\n",
        )
    )
    (repo / SCORE).write_text(text)
    git(repo, "commit", "-qam", "mounted twice by hand")
    assert 'name="volume_id" value="data"' not in client.get("/services/notes/edit").text
    answer = client.put("/api/services/notes", json={**NOTES, "replicas": 0, "volumes": []})
    assert answer.status_code == 200, answer.text
    assert _score(repo)["containers"]["main"]["volumes"][1] == {
        "source": "${resources.data}",
        "target": "/srv/notes",
        "path": "archive",
    }
