"""Dockyard's own image (scripts/image.py): reproducible, non-root, runs on a read-only root, with
an SBOM. Built for real (Debian packages through apt, wheels through uv, the Rego binding through
maturin) and run for real in a user namespace (`unshare`), with a read-only root and /tmp as the
only writable place, as a Deployment would run it."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from dockyard import __version__

PROJECT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.tools


def _build(out: Path) -> str:
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1764300000"}
    done = subprocess.run(
        [sys.executable, str(PROJECT / "scripts" / "image.py"), "--out", str(out)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.split(" image ")[1].split(" ")[0]


def _blob(layout: Path, digest: str) -> bytes:
    return (layout / "blobs" / "sha256" / digest.removeprefix("sha256:")).read_bytes()


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    first, second = tmp_path_factory.mktemp("image-a"), tmp_path_factory.mktemp("image-b")
    return first, _build(first), _build(second)


def test_the_image_is_reproducible_non_root_and_carries_an_sbom(image: tuple[Path, str, str]) -> None:
    layout, digest, again = image
    assert digest == again  # the same commit and locks give the same bytes
    index = json.loads((layout / "index.json").read_text())
    manifest = json.loads(_blob(layout, digest))
    config = json.loads(_blob(layout, manifest["config"]["digest"]))
    assert config["config"]["User"] == "65532:65532"
    assert config["config"]["Entrypoint"] == ["/usr/bin/python3.11", "-m", "dockyard.cli"]
    for layer in manifest["layers"]:
        data = _blob(layout, layer["digest"])
        assert "sha256:" + hashlib.sha256(data).hexdigest() == layer["digest"]
        with tarfile.open(fileobj=io.BytesIO(data)) as archive:
            members = archive.getmembers()
        assert all(m.uid == 0 and m.gid == 0 and not m.mode & 0o6000 for m in members)  # no setuid, no setgid
    referrer = next(m for m in index["manifests"] if m.get("artifactType") == "application/spdx+json")
    bom_manifest = json.loads(_blob(layout, referrer["digest"]))
    assert bom_manifest["subject"]["digest"] == digest
    bom = json.loads(_blob(layout, bom_manifest["layers"][0]["digest"]))
    names = {p["name"]: p["versionInfo"] for p in bom["packages"]}
    assert names["dockyard"] == __version__
    assert "python3.11-minimal" in names and "git" in names and "ruamel.yaml" in names


SOURCE_CHECK = "; ".join(
    [
        "import os, pathlib, subprocess",
        "from dockyard.sync.source import GitSource",
        "repo = pathlib.Path('/tmp/platform'); repo.mkdir()",
        "(repo / 'platform.yaml').write_text('name: inside')",
        "env = dict(os.environ, GIT_AUTHOR_NAME='t', GIT_AUTHOR_EMAIL='t@t', GIT_COMMITTER_NAME='t', "
        "GIT_COMMITTER_EMAIL='t@t')",
        "[subprocess.run(['git', *a], cwd=repo, env=env, check=True, capture_output=True) for a in "
        "(['init', '-q', '-b', 'main'], ['add', '-A'], ['commit', '-q', '-m', 'one'])]",
        "source = GitSource(str(repo), 'main', pathlib.Path('/tmp/cache/sync'))",
        "tree = source.checkout(source.fetch())",
        "print('exported:', (tree / 'platform.yaml').read_text())",
    ]
)
"""The sync controller's source, in the image: git fetches and exports a revision."""


def _unpack(layout: Path, digest: str, root: Path) -> dict[str, object]:
    manifest = json.loads(_blob(layout, digest))
    for layer in manifest["layers"]:
        with tarfile.open(fileobj=io.BytesIO(_blob(layout, layer["digest"]))) as archive:
            archive.extractall(root, filter="tar")
    config: dict[str, object] = json.loads(_blob(layout, manifest["config"]["digest"]))["config"]
    return config


def test_the_image_runs_dockyard_and_git_on_a_read_only_root(image: tuple[Path, str, str], tmp_path: Path) -> None:
    """Its own programs only (the image has no shell): the host's sh, mount and chroot set up a user
    and mount namespace with the root read-only and a tmpfs on /tmp, as a Pod's securityContext
    (readOnlyRootFilesystem) and an emptyDir would, and the devices a container runtime gives."""
    layout, digest, _again = image
    root = tmp_path / "root"
    config = _unpack(layout, digest, root)
    env = dict(item.split("=", 1) for item in config["Env"])  # type: ignore[union-attr]
    env["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin"  # for the host's tools; the image has /usr/bin only
    python = " ".join(config["Entrypoint"][:1])  # type: ignore[index]
    inside = f"chroot {root}"
    script = " && ".join(
        [
            f"mount --bind {root} {root}",
            f"mount -o remount,bind,ro {root}",
            f"mount -t tmpfs tmpfs {root}/tmp",
            f"mount -t tmpfs tmpfs {root}/dev",
            *(f"touch {root}/dev/{d} && mount --bind /dev/{d} {root}/dev/{d}" for d in ("null", "zero", "urandom")),
            f"! {inside} {python} -c \"open('/opt/written', 'w')\" 2>/dev/null",
            f"{inside} {python} -c \"open('/tmp/written', 'w').write('ok')\"",
            f"{inside} {python} -m dockyard.cli version --json",
            f'{inside} {python} -c "{SOURCE_CHECK}"',
            f"{inside} /usr/bin/git --version",
        ]
    )
    done = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    shown = json.loads(done.stdout[: done.stdout.rindex("}") + 1])
    assert shown["version"] == __version__
    assert done.stdout.rstrip().splitlines()[-2] == "exported: name: inside"
    assert done.stdout.rstrip().splitlines()[-1].startswith("git version 2.")
