"""Build Dockyard's own container image (for the sync controller and the console) as an OCI image
layout, written directly: no container engine, no daemon, no base image to pull.

    uv run python scripts/image.py --out build/image [--update-lock]

Two layers, each a tar written in a fixed order with fixed times, owners and modes, so the same
commit and the same locks give the same bytes and the same digest on every machine:

1. the runtime: Debian packages (Python 3.11, git, OpenSSH's client, CA certificates, a POSIX
   shell for git, and what they need), at the versions image/debian.lock pins, fetched with
   `apt-get download` and unpacked with `dpkg-deb` (no maintainer script runs; what they would
   make, the image makes: the merged /usr, the CA bundle, /bin/sh, a user);
2. Dockyard: the wheels of uv.lock's packages for the image's Python, and Dockyard's own wheels
   (the Rego binding built by maturin), installed by uv into /opt/dockyard, compiled to bytecode
   with checked hashes.

The image runs as user 65532 (nonroot) and writes nothing but /tmp (its caches go there), so it
runs with a read-only root filesystem. An SPDX 2.3 SBOM of every Debian and Python package is
attached to the image as an OCI referrer (artifactType application/spdx+json). Times are the
commit's (SOURCE_DATE_EPOCH).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
LOCK = PROJECT / "image" / "debian.lock"
ROOTS = ("python3.11-minimal", "libpython3.11-stdlib", "git", "openssh-client", "ca-certificates", "dash")
"""dash: git runs its local transport and GIT_SSH_COMMAND through /bin/sh."""
EXCLUDED = frozenset(
    {
        # the package manager, its configuration front ends and maintainer-script helpers: nothing
        # in the image installs packages or runs maintainer scripts
        "adduser",
        "cdebconf",
        "debconf",
        "dpkg",
        "install-info",
        "libdebian-installer4",
        "libnewt0.52",
        "libslang2",
        "libtextwrap1",
        # git's manual pages and the Perl its rarely used commands need (fetch, archive, verify do not)
        "git-man",
        "liberror-perl",
        "libperl5.36",
        "perl",
        "perl-base",
        "perl-modules-5.36",
        # PAM and login bookkeeping: the image has no logins
        "libpam-modules",
        "libpam-modules-bin",
        "libpam-runtime",
        "libpam0g",
        "libsemanage-common",
        "libsemanage2",
        "libaudit-common",
        "libaudit1",
        "libcap-ng0",
        "passwd",
        "login",
    }
)
USER, GROUP = 65532, 65532
PYTHON = "/usr/bin/python3.11"
APP = "/opt/dockyard"
MERGED = {"bin": "usr/bin", "sbin": "usr/sbin", "lib": "usr/lib", "lib64": "usr/lib64"}
"""Debian's merged /usr: packages may still ship files under /bin or /lib; they land in /usr."""


@dataclass(frozen=True)
class Deb:
    name: str
    version: str
    arch: str
    sha256: str

    @property
    def line(self) -> str:
        return f"{self.name} {self.version} {self.arch} {self.sha256}"


def uv() -> list[str]:
    """uv on PATH, else the one scripts/setup installed with pip (`python3 -m uv`)."""
    found = shutil.which("uv")
    return [found] if found else ["python3", "-m", "uv"]


def run(*command: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    if command[0] == "uv":
        command = (*uv(), *command[1:])
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if done.returncode:
        sys.exit(f"{' '.join(command[:4])} failed: {done.stderr.strip()[-2000:]}")
    return done.stdout


def source_date_epoch() -> int:
    if os.environ.get("SOURCE_DATE_EPOCH"):
        return int(os.environ["SOURCE_DATE_EPOCH"])
    return int(run("git", "log", "-1", "--format=%ct", cwd=PROJECT).strip())


# the runtime layer


def closure() -> list[str]:
    """The roots and every package they depend on (not recommends), minus the excluded."""
    out = run(
        "apt-cache",
        "depends",
        "--recurse",
        "--no-recommends",
        "--no-suggests",
        "--no-conflicts",
        "--no-breaks",
        "--no-replaces",
        "--no-enhances",
        *ROOTS,
    )
    names = {line.strip() for line in out.splitlines() if line and not line.startswith((" ", "<"))}
    return sorted(names - EXCLUDED)


def fetch_debs(cache: Path, update_lock: bool) -> list[tuple[Deb, Path]]:
    cache.mkdir(parents=True, exist_ok=True)
    if update_lock or not LOCK.is_file():
        wanted = [(name, None) for name in closure()]
    else:
        wanted = []
        for line in LOCK.read_text().splitlines():
            if line and not line.startswith("#"):
                name, version, _arch, _sha = line.split()
                wanted.append((name, version))
    run("apt-get", "download", *(f"{n}={v}" if v else n for n, v in wanted), cwd=cache)
    found = []
    for name, version in wanted:
        matches = sorted(cache.glob(f"{name}_*.deb"))
        fields = [run("dpkg-deb", "-f", str(m), "Package", "Version", "Architecture").splitlines() for m in matches]
        chosen = [
            (m, f) for m, f in zip(matches, fields, strict=True) if version is None or f[1].split(": ", 1)[1] == version
        ]
        path, info = chosen[-1]
        deb = Deb(
            name, info[1].split(": ", 1)[1], info[2].split(": ", 1)[1], hashlib.sha256(path.read_bytes()).hexdigest()
        )
        found.append((deb, path))
    locked = {line.split()[0]: line for line in LOCK.read_text().splitlines()} if LOCK.is_file() else {}
    if update_lock or not LOCK.is_file():
        LOCK.parent.mkdir(exist_ok=True)
        LOCK.write_text(
            "# Debian packages of Dockyard's image: name version architecture sha256 (scripts/image.py --update-lock)\n"
            + "".join(deb.line + "\n" for deb, _ in found)
        )
    else:
        for deb, _path in found:
            if locked.get(deb.name) != deb.line:
                sys.exit(f"{deb.name} {deb.version}: its .deb does not match image/debian.lock ({deb.sha256})")
    return found


def _normal(name: str) -> str | None:
    """A package member's path in the image (merged /usr), None for the root itself."""
    path = name.removeprefix("./").rstrip("/")
    if not path or path == ".":
        return None
    top, _slash, rest = path.partition("/")
    if top in MERGED:
        return f"{MERGED[top]}/{rest}" if rest else None
    return path


class Tree:
    """Files of one layer in memory: path -> (TarInfo without its name, data)."""

    def __init__(self) -> None:
        self.entries: dict[str, tuple[tarfile.TarInfo, bytes]] = {}

    def add_dir(self, path: str, mode: int = 0o755) -> None:
        parent = path.rpartition("/")[0]
        if parent and parent not in self.entries:
            self.add_dir(parent)
        if path not in self.entries:
            info = tarfile.TarInfo()
            info.type, info.mode = tarfile.DIRTYPE, mode
            self.entries[path] = (info, b"")

    def _parent(self, path: str) -> None:
        if "/" in path:
            self.add_dir(path.rpartition("/")[0])

    def add_file(self, path: str, data: bytes, mode: int = 0o644) -> None:
        self._parent(path)
        info = tarfile.TarInfo()
        info.type, info.mode, info.size = tarfile.REGTYPE, mode, len(data)
        self.entries[path] = (info, data)

    def add_link(self, path: str, target: str) -> None:
        self._parent(path)
        info = tarfile.TarInfo()
        info.type, info.linkname, info.mode = tarfile.SYMTYPE, target, 0o777
        self.entries[path] = (info, b"")

    def add_deb(self, deb: Path) -> None:
        data = subprocess.run(["dpkg-deb", "--fsys-tarfile", str(deb)], capture_output=True, check=True).stdout
        with tarfile.open(fileobj=io.BytesIO(data)) as archive:
            for member in archive.getmembers():
                path = _normal(member.name)
                if path is None:
                    continue
                mode = 0o755 if member.mode & 0o111 else 0o644
                if member.isdir():
                    self.add_dir(path)
                elif member.issym():
                    self.add_link(path, member.linkname)
                elif member.islnk():
                    target = _normal(member.linkname)
                    source = self.entries.get(target or "")
                    if source is not None:
                        self.add_file(path, source[1], source[0].mode)
                elif member.isfile():
                    extracted = archive.extractfile(member)
                    self.add_file(path, extracted.read() if extracted else b"", mode)

    def add_tree(self, root: Path, prefix: str) -> None:
        for path in sorted(root.rglob("*")):
            relative = f"{prefix}/{path.relative_to(root).as_posix()}"
            if path.is_symlink():
                self.add_link(relative, os.readlink(path))
            elif path.is_dir():
                self.add_dir(relative)
            else:
                self.add_file(relative, path.read_bytes(), 0o755 if os.access(path, os.X_OK) else 0o644)

    def tar(self, epoch: int) -> bytes:
        """The layer: every entry in path order, owned by root, at the same time."""
        stream = io.BytesIO()
        with tarfile.open(fileobj=stream, mode="w", format=tarfile.PAX_FORMAT) as archive:
            for path in sorted(self.entries):
                info, data = self.entries[path]
                info.name, info.mtime, info.uid, info.gid, info.uname, info.gname = path, epoch, 0, 0, "", ""
                if path == "tmp":
                    info.mode = 0o1777
                archive.addfile(info, io.BytesIO(data) if info.type == tarfile.REGTYPE else None)
        return stream.getvalue()


def runtime_layer(debs: list[tuple[Deb, Path]]) -> Tree:
    tree = Tree()
    for top, target in sorted(MERGED.items()):
        tree.add_dir(target)
        tree.add_link(top, target)
    for _deb, path in debs:
        tree.add_deb(path)
    certificates = sorted(p for p in tree.entries if p.startswith("usr/share/ca-certificates/") and p.endswith(".crt"))
    tree.add_file("etc/ssl/certs/ca-certificates.crt", b"".join(tree.entries[p][1] for p in certificates))
    tree.add_file(
        "etc/passwd", f"root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:{USER}:{GROUP}::/tmp:/sbin/nologin\n".encode()
    )
    tree.add_file("etc/group", f"root:x:0:\nnonroot:x:{GROUP}:\n".encode())
    tree.add_dir("tmp", 0o1777)
    tree.add_dir("dev")  # mount points the runtime fills
    tree.add_dir("proc")
    tree.add_link("usr/bin/python3", "python3.11")
    tree.add_link("usr/bin/sh", "dash")  # what dash's maintainer script would link
    return tree


# the application layer


def app_layer(work: Path, epoch: int) -> tuple[Tree, list[tuple[str, str]]]:
    """Dockyard and its locked dependencies, installed for the image's Python 3.11; and the Python
    packages it holds (name, version)."""
    wheels = work / "wheels"
    env = {**os.environ, "SOURCE_DATE_EPOCH": str(epoch)}
    wheels.mkdir()
    for wheel in native_wheels(env):
        shutil.copy(wheel, wheels)
    run("uv", "build", "--wheel", "--out-dir", str(wheels), str(PROJECT), env=env)
    requirements = work / "requirements.txt"
    requirements.write_text(
        run(
            "uv",
            "export",
            "--frozen",
            "--no-dev",
            "--no-emit-project",
            "--no-emit-package",
            "dockyard-rego",
            "--format",
            "requirements-txt",
            cwd=PROJECT,
        )
    )
    target = work / "app"
    run(
        "uv",
        "pip",
        "install",
        "--target",
        str(target),
        "--python-version",
        "3.11",
        "--python-platform",
        "x86_64-manylinux_2_36",
        "--no-deps",
        "--no-cache",
        "-r",
        str(requirements),
        *(str(w) for w in sorted(wheels.glob("*.whl"))),
        env=env,
    )
    shutil.rmtree(target / "bin", ignore_errors=True)  # console scripts name the build machine's Python
    for info in target.glob("*.dist-info"):  # where each wheel was installed from, and when: not content
        for name in ("direct_url.json", "uv_cache.json"):
            (info / name).unlink(missing_ok=True)
        record = info / "RECORD"
        kept = [
            line
            for line in record.read_text().splitlines()
            if not line.split(",")[0].endswith(("/direct_url.json", "/uv_cache.json"))
        ]
        record.write_text("\n".join(kept) + "\n")
    run(
        sys.executable,
        "-m",
        "compileall",
        "-q",
        "-j",
        "0",
        "--invalidation-mode",
        "checked-hash",
        "-d",
        APP,
        str(target),
        env=env,
    )
    packages = sorted(
        (
            meta.read_text().split("\nName: ", 1)[1].split("\n", 1)[0],
            meta.read_text().split("\nVersion: ", 1)[1].split("\n", 1)[0],
        )
        for meta in target.glob("*.dist-info/METADATA")
    )
    tree = Tree()
    tree.add_tree(target, APP.lstrip("/"))
    return tree, packages


def native_wheels(env: dict[str, str]) -> list[Path]:
    """The Rego binding's wheel, built by maturin once per content of its sources (Rust builds take
    minutes), kept in the cache."""
    native = PROJECT / "native" / "dockyard_rego"
    digest = hashlib.sha256()
    for path in sorted(p for p in native.rglob("*") if p.is_file() and "target" not in p.parts):
        digest.update(path.relative_to(native).as_posix().encode() + b"\0" + path.read_bytes())
    kept = cache_root() / "image-wheels" / digest.hexdigest()[:16]
    if not any(kept.glob("*.whl")):
        kept.mkdir(parents=True, exist_ok=True)
        run("uv", "build", "--wheel", "--out-dir", str(kept), str(native), env=env)
    return sorted(kept.glob("*.whl"))


def cache_root() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "dockyard"


# the OCI layout


def _blob(layout: Path, data: bytes) -> str:
    digest = hashlib.sha256(data).hexdigest()
    (layout / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
    (layout / "blobs" / "sha256" / digest).write_bytes(data)
    return f"sha256:{digest}"


def _json(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def _gzip(data: bytes) -> bytes:
    stream = io.BytesIO()
    with gzip.GzipFile(fileobj=stream, mode="wb", mtime=0, compresslevel=6) as packed:
        packed.write(data)
    return stream.getvalue()


def sbom(version: str, debs: list[Deb], python: list[tuple[str, str]], epoch: int) -> dict[str, object]:
    created = _time(epoch)
    packages = [
        {
            "SPDXID": f"SPDXRef-deb-{d.name}",
            "name": d.name,
            "versionInfo": d.version,
            "supplier": "Organization: Debian",
            "downloadLocation": "NOASSERTION",
            "checksums": [{"algorithm": "SHA256", "checksumValue": d.sha256}],
            "externalRefs": [
                {
                    "referenceCategory": "PACKAGE-MANAGER",
                    "referenceType": "purl",
                    "referenceLocator": f"pkg:deb/debian/{d.name}@{d.version}?arch={d.arch}&distro=debian-12",
                }
            ],
        }
        for d in debs
    ] + [
        {
            "SPDXID": f"SPDXRef-pypi-{name.lower().replace('_', '-').replace('.', '-')}",
            "name": name,
            "versionInfo": pkg_version,
            "downloadLocation": "NOASSERTION",
            "externalRefs": [
                {
                    "referenceCategory": "PACKAGE-MANAGER",
                    "referenceType": "purl",
                    "referenceLocator": f"pkg:pypi/{name.lower()}@{pkg_version}",
                }
            ],
        }
        for name, pkg_version in python
    ]
    return {
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": f"dockyard-{version}",
        "documentNamespace": f"https://dockyard.dev/spdx/dockyard-{version}-{epoch}",
        "creationInfo": {"created": created, "creators": ["Tool: dockyard scripts/image.py"]},
        "packages": packages,
    }


def _time(epoch: int) -> str:
    import datetime

    return datetime.datetime.fromtimestamp(epoch, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_layout(out: Path, layers: list[bytes], version: str, epoch: int, bom: dict[str, object]) -> str:
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
    descriptors, diff_ids = [], []
    for layer in layers:
        diff_ids.append("sha256:" + hashlib.sha256(layer).hexdigest())
        packed = _gzip(layer)
        descriptors.append(
            {
                "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                "digest": _blob(out, packed),
                "size": len(packed),
            }
        )
    config = {
        "architecture": "amd64",
        "os": "linux",
        "created": _time(epoch),
        "config": {
            "User": f"{USER}:{GROUP}",
            "Entrypoint": [PYTHON, "-m", "dockyard.cli"],
            "Env": [
                "PATH=/usr/bin",
                f"PYTHONPATH={APP}",
                "PYTHONDONTWRITEBYTECODE=1",
                "HOME=/tmp",
                "XDG_CACHE_HOME=/tmp/cache",
                "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt",
            ],
            "WorkingDir": "/tmp",
            "Labels": {
                "org.opencontainers.image.title": "dockyard",
                "org.opencontainers.image.version": version,
                "org.opencontainers.image.created": _time(epoch),
                "org.opencontainers.image.licenses": "Apache-2.0",
            },
        },
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [
            {"created": _time(epoch), "created_by": "scripts/image.py: runtime"},
            {"created": _time(epoch), "created_by": "scripts/image.py: dockyard"},
        ],
    }
    config_bytes = _json(config)
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": _blob(out, config_bytes),
            "size": len(config_bytes),
        },
        "layers": descriptors,
        "annotations": {"org.opencontainers.image.version": version},
    }
    manifest_bytes = _json(manifest)
    image = {"mediaType": manifest["mediaType"], "digest": _blob(out, manifest_bytes), "size": len(manifest_bytes)}
    bom_bytes = _json(bom)
    empty = b"{}"
    referrer = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "artifactType": "application/spdx+json",
        "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": _blob(out, empty), "size": 2},
        "layers": [{"mediaType": "application/spdx+json", "digest": _blob(out, bom_bytes), "size": len(bom_bytes)}],
        "subject": image,
    }
    referrer_bytes = _json(referrer)
    index = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            {**image, "annotations": {"org.opencontainers.image.ref.name": version}},
            {
                "mediaType": referrer["mediaType"],
                "artifactType": "application/spdx+json",
                "digest": _blob(out, referrer_bytes),
                "size": len(referrer_bytes),
            },
        ],
    }
    (out / "index.json").write_bytes(_json(index))
    return str(image["digest"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True, help="The OCI layout directory to write.")
    parser.add_argument("--update-lock", action="store_true", help="Resolve the Debian packages anew.")
    args = parser.parse_args()
    sys.path.insert(0, str(PROJECT / "src"))
    from dockyard import __version__

    epoch = source_date_epoch()
    debs = fetch_debs(cache_root() / "image-debs", args.update_lock)
    with tempfile.TemporaryDirectory(prefix="dockyard-image-") as scratch:
        app, python = app_layer(Path(scratch), epoch)
        layers = [runtime_layer(debs).tar(epoch), app.tar(epoch)]
    bom = sbom(__version__, [d for d, _ in debs], python, epoch)
    digest = write_layout(args.out, layers, __version__, epoch, bom)
    size = sum(len(layer) for layer in layers) // 2**20
    print(f"dockyard {__version__} image {digest} ({size} MiB unpacked) in {args.out}")


if __name__ == "__main__":
    main()
