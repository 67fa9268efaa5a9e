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
        (
            [{"id": "data", "target": "/d", "size": "10GB"}],
            "disk `data`: its size is a quantity of storage such as 10Gi or 500M",
        ),
        ([{"id": "data", "target": "/d"}, {"id": "data", "target": "/e"}], "`data` names two disks"),
        ([{"id": "a", "target": "/d"}, {"id": "b", "target": "/d"}], "two disks are mounted at `/d`"),
        ([{"id": "data", "target": "/d", "mode": "rw"}], "a disk has no `mode`"),
        ([{"id": "data", "target": "/" + "d" * 1024}], "disk `data`: `/ddd"),
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


def _notes(repo: Path, client: TestClient, resources: str, mounts: str, *, extra: str = "") -> None:
    """The service notes with `resources` and the main container's `mounts` written by hand."""
    assert client.post("/api/services", json=NOTES).status_code == 201
    text = (repo / SCORE).read_text()
    text = text.replace("    image: ghcr.io/acme/notes:1.0\n", "    image: ghcr.io/acme/notes:1.0\n" + mounts)
    (repo / SCORE).write_text(text + extra + "resources:\n" + resources)
    git(repo, "commit", "-qam", "by hand")


VOLUMES = "".join(f"  {n}:\n    type: volume\n" for n in ("aa", "bb", "cc"))


def test_several_disks_removed_and_moved_keep_each_mount_its_own(
    signed_in: Callable[..., TestClient], repo: Path
) -> None:
    client = signed_in("editor")
    mounts = (
        "    volumes:\n      - source: ${resources.aa}\n        target: /a\n"
        "      # the second disk\n      - source: ${resources.bb}\n        target: /b\n"
        "      - source: ${resources.cc}\n        target: /c\n        readOnly: true\n"
    )
    _notes(repo, client, VOLUMES.replace("  bb:", "  # about bb\n  bb:"), mounts)
    answer = client.put(
        "/api/services/notes",
        json={**NOTES, "volumes": [{"id": "bb", "target": "/b2"}, {"id": "cc", "target": "/c"}]},
    )
    assert answer.status_code == 200, answer.text
    main = _score(repo)["containers"]["main"]
    assert main["volumes"] == [
        {"source": "${resources.bb}", "target": "/b2"},
        {"source": "${resources.cc}", "target": "/c", "readOnly": True},
    ]
    text = (repo / SCORE).read_text()
    assert "      # the second disk\n      - source: ${resources.bb}\n" in text
    assert "resources:\n  # about bb\n  bb:\n" in text  # the comment before the next one stays with it


def test_disks_in_a_mapping_trade_places_and_never_take_anothers_folder(
    signed_in: Callable[..., TestClient], repo: Path
) -> None:
    client = signed_in("editor")
    mounts = (
        "    volumes:\n      /a:\n        source: ${resources.aa}\n      /b:  # the second\n"
        "        source: ${resources.bb}\n        readOnly: true\n      /x:\n        source: ${resources.cc}\n"
        "      /x2:\n        source: ${resources.cc}\n        path: sub\n"
    )
    _notes(repo, client, VOLUMES, mounts)
    swapped = client.put(
        "/api/services/notes",
        json={**NOTES, "volumes": [{"id": "aa", "target": "/b"}, {"id": "bb", "target": "/a"}]},
    )
    assert swapped.status_code == 200, swapped.text
    assert _score(repo)["containers"]["main"]["volumes"] == {
        "/b": {"source": "${resources.aa}"},
        "/a": {"source": "${resources.bb}", "readOnly": True},
        "/x": {"source": "${resources.cc}"},
        "/x2": {"source": "${resources.cc}", "path": "sub"},
    }
    for wanted in ([{"id": "aa", "target": "/x2"}, {"id": "bb", "target": "/a"}], [{"id": "dd", "target": "/x"}]):
        taken = client.put("/api/services/notes", json={**NOTES, "volumes": wanted})
        assert taken.status_code == 422, taken.text
        folder = wanted[0]["target"]
        assert taken.json()["errors"]["volumes"] == [
            f"disk `{wanted[0]['id']}`: `${{resources.cc}}` is mounted at `{folder}`: choose another folder"
        ]


def test_a_disk_another_container_mounts_is_kept_as_written(signed_in: Callable[..., TestClient], repo: Path) -> None:
    client = signed_in("editor")
    mounts = "    volumes:\n      - source: ${resources.aa}\n        target: /a\n"
    sidecar = "  backup:\n    image: ghcr.io/acme/backup:1\n"
    sidecar += "    volumes:\n      - source: ${resources.aa}\n        target: /a\n"
    sidecar += "    livenessProbe:\n      exec:\n        command: [test, -d, /a]\n"
    _notes(repo, client, "  aa:\n    type: volume\n    params:\n      size: 500M\n", mounts)
    text = (repo / SCORE).read_text().replace("service:\n", sidecar + "service:\n", 1)
    (repo / SCORE).write_text(text)
    git(repo, "commit", "-qam", "a sidecar")
    page = client.get("/services/notes/edit").text
    assert 'name="volume_id" value="aa"' not in page
    answer = client.put("/api/services/notes", json={**NOTES, "replicas": 0, "volumes": []})
    assert answer.status_code == 200, answer.text
    assert _score(repo)["resources"]["aa"] == {"type": "volume", "params": {"size": "500M"}}


def test_a_size_as_kubernetes_writes_it_is_shown_and_kept(signed_in: Callable[..., TestClient], repo: Path) -> None:
    client = signed_in("editor")
    mounts = "    volumes:\n      - source: ${resources.aa}\n        target: /a\n"
    _notes(repo, client, "  aa:\n    type: volume\n    params:\n      size: 500M\n", mounts)
    page = client.get("/services/notes/edit").text
    assert 'name="volume_size" value="500M"' in page
    answer = client.put(
        "/api/services/notes",
        json={**NOTES, "image": "ghcr.io/acme/notes:1.1", "volumes": [{"id": "aa", "target": "/a", "size": "500M"}]},
    )
    assert answer.status_code == 200, answer.text


def test_a_database_ticked_beside_disks_takes_a_free_id(signed_in: Callable[..., TestClient], repo: Path) -> None:
    disks = [{"id": "db", "target": "/d"}, {"id": "db-postgres", "target": "/e"}]
    answer = signed_in("editor").post("/api/services", json={**NOTES, "database": True, "volumes": disks})
    assert answer.status_code == 201, answer.text
    resources = _score(repo)["resources"]
    assert resources["db-postgres-2"] == {"type": "postgres"} and resources["db-postgres"]["type"] == "volume"


def test_a_job_that_runs_once_at_a_time_may_have_a_disk(signed_in: Callable[..., TestClient], repo: Path) -> None:
    job = {k: v for k, v in NOTES.items() if k not in ("port", "health_path")}
    body = {**job, "replicas": 3, "runs": "on-schedule", "schedule": "0 3 * * *", "volumes": [DATA]}
    client = signed_in("editor")
    overlapping = client.post("/api/drafts", json={**body, "new": True, "settings": {"job.concurrency": "Allow"}})
    (said,) = overlapping.json()["errors"]["volumes"]
    assert "resource `data`: up to 2 pods mount this volume, but a ReadWriteOnce claim attaches to one node" in said
    answer = client.post("/api/services", json=body)  # its runs never overlap (Forbid)
    assert answer.status_code == 201, answer.text


def test_a_disk_and_a_file_at_one_path_are_refused(signed_in: Callable[..., TestClient], repo: Path) -> None:
    body = {**NOTES, "new": True, "volumes": [DATA], "files": [{"target": "/var/lib/notes", "content": "x"}]}
    answer = signed_in("editor").post("/api/drafts", json=body)
    assert answer.json()["errors"]["volumes"] == [
        "a file and a disk are both mounted at `/var/lib/notes`: give one of them another path"
    ]


def test_a_mount_written_as_no_mapping_is_a_problem_not_a_crash(
    signed_in: Callable[..., TestClient], repo: Path
) -> None:
    client = signed_in("editor")
    _notes(repo, client, "  aa:\n    type: volume\n", "    volumes:\n      - oops\n")
    answer = client.post("/api/drafts", json={**NOTES, "volumes": [{"id": "bb", "target": "/b"}]})
    assert answer.status_code == 200, answer.text
    assert answer.json()["ok"] is False
