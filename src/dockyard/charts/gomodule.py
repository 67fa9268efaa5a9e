"""Fetch one directory (or file) of a tagged Go module with the go command itself.

`go mod download` fetches the module, so the machine's Go configuration (GOPROXY, GOSUMDB,
GOPRIVATE, GOFLAGS) decides where it comes from, and the checksum database vouches for it. The
module's zip is then hashed again here as the go command does (the `h1:` hash go.sum records)
and must agree; then the chosen directory is repacked deterministically as a chart archive.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import yaml

from dockyard.charts import yamlfiles
from dockyard.charts.source import ChartSource
from dockyard.load import confined

MAX_ZIP = 512 * 1024 * 1024


class FetchFailed(Exception):
    """The module could not be fetched or did not match its hash; the message says which."""


def h1_hash(archive: zipfile.ZipFile) -> str:
    """The go command's dirhash Hash1 of a module zip: sha256 over sorted `sha256  name` lines."""
    summary = hashlib.sha256()
    for name in sorted(n for n in archive.namelist() if not n.endswith("/")):
        if "\n" in name:
            raise FetchFailed(f"file name {name!r} contains a newline")
        summary.update(f"{hashlib.sha256(archive.read(name)).hexdigest()}  {name}\n".encode())
    return "h1:" + base64.b64encode(summary.digest()).decode()


def download(source: ChartSource, timeout: float = 600.0) -> tuple[bytes, str]:
    """The module zip's bytes and its h1: hash, fetched by `go mod download`."""
    assert source.gomodule is not None
    go = shutil.which("go")
    if go is None:
        raise FetchFailed("the go command is needed to fetch Go modules; install Go")
    query = f"{source.gomodule}@{source.version}"
    env = {**os.environ, "GOTOOLCHAIN": os.environ.get("GOTOOLCHAIN", "local"), "GO111MODULE": "on"}
    with tempfile.TemporaryDirectory(prefix="dockyard-gomod-") as outside_any_module:
        try:
            done = subprocess.run(
                [go, "mod", "download", "-json", query],
                cwd=outside_any_module,
                env=env,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise FetchFailed(f"go mod download {query} did not finish within {timeout:.0f} s") from None
    try:
        info = json.loads(done.stdout)
    except ValueError:
        info = {}
    if (done.returncode != 0 or info.get("Error") or not info.get("Zip")) and not _only_too_new(info):
        reason = info.get("Error") or done.stderr.strip() or f"go mod download exited with {done.returncode}"
        raise FetchFailed(reason)
    try:
        data = confined.read_regular(Path(info["Zip"]), MAX_ZIP, f"the zip of {query}")
    except confined.Refused as refused:
        raise FetchFailed(str(refused)) from None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            digest = h1_hash(archive)
    except zipfile.BadZipFile:
        raise FetchFailed(f"the zip of {query} is not a zip file") from None
    if info.get("Sum") and digest != info["Sum"]:
        raise FetchFailed(f"{query}: the zip hashes to {digest}, but the go command says {info['Sum']}")
    return data, digest


TOO_NEW = re.compile(r" requires go >= [0-9][0-9a-z.]* \(running go ")


def _only_too_new(info: dict[str, Any]) -> bool:
    """Whether the module was fetched and verified, and the go command only objects that its go.mod
    asks for a newer Go than this machine's: Dockyard reads the module's files, it builds nothing."""
    return bool(info.get("Zip") and info.get("Sum") and TOO_NEW.search(str(info.get("Error", ""))))


def select(data: bytes, source: ChartSource) -> dict[str, bytes]:
    """The files of `source.path` inside the module zip, under a top directory named after the chart."""
    prefix = f"{source.gomodule}@{source.version}/"
    wanted = (source.path or "").strip("/")
    files: dict[str, bytes] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.endswith("/") or not name.startswith(prefix):
                continue
            inner = name[len(prefix) :]
            if wanted and inner == wanted:
                files[f"{source.name}/{inner.rsplit('/', 1)[-1]}"] = archive.read(name)
            elif not wanted or inner.startswith(wanted + "/"):
                files[f"{source.name}/{inner[len(wanted) + 1 if wanted else 0 :]}"] = archive.read(name)
    if not files:
        raise FetchFailed(f"{source.gomodule}@{source.version} has no file or directory `{source.path}`")
    if source.values_template:
        files[f"{source.name}/values.yaml"] = _values_from_template(files, source)
    if source.without:
        _leave_out(files, source)
    return files


def _leave_out(files: dict[str, bytes], source: ChartSource) -> None:
    """Chart.yaml (and Chart.lock) without the dependencies `source.without` names, which the
    upstream's release would vendor into charts/ and this source cannot (the data is edited)."""
    for name in ("Chart.yaml", "Chart.lock"):
        path = f"{source.name}/{name}"
        if path not in files:
            continue
        try:
            data = yamlfiles.load_one(files[path].decode("utf-8"), name)
        except (yamlfiles.BadYaml, UnicodeDecodeError) as error:
            raise FetchFailed(f"{source.origin}: {error}") from None
        dependencies = data.get("dependencies") if isinstance(data, dict) else None
        if not isinstance(dependencies, list):
            continue
        names = {d.get("name") for d in dependencies if isinstance(d, dict)}
        if name == "Chart.yaml" and not set(source.without) <= names:
            missing = ", ".join(sorted(set(source.without) - names))
            raise FetchFailed(f"{source.origin}: the chart has no dependency {missing} to leave out")
        kept = [d for d in dependencies if not (isinstance(d, dict) and d.get("name") in source.without)]
        if kept:
            data["dependencies"] = kept
        else:
            del data["dependencies"]
        if name == "Chart.lock" and not kept:
            del files[path]  # a lock of no dependency: helm reads none
            continue
        files[path] = yaml.safe_dump(data, sort_keys=False, width=4096).encode()


def _values_from_template(files: dict[str, bytes], source: ChartSource) -> bytes:
    """values.yaml as the upstream's release writes it from its template: the template read as YAML
    and each `${name}` filled in, value by value (the data, never the text, is edited)."""
    template = files.get(f"{source.name}/{source.values_template}")
    if template is None:
        raise FetchFailed(f"{source.origin} has no values template `{source.values_template}`")
    try:
        data = yamlfiles.load_one(template.decode("utf-8"), str(source.values_template))
    except (yamlfiles.BadYaml, UnicodeDecodeError) as error:
        raise FetchFailed(f"{source.origin}: {error}") from None
    filled = _fill(data, dict(source.placeholders))
    left = sorted(set(re.findall(r"\$\{([A-Za-z0-9_]+)\}", json.dumps(filled))))
    if left:
        raise FetchFailed(f"{source.origin}: the values template needs placeholders {', '.join(left)}")
    return yaml.safe_dump(filled, sort_keys=False, width=4096).encode()


def _fill(value: Any, placeholders: dict[str, str]) -> Any:
    if isinstance(value, str):
        for name, replacement in placeholders.items():
            value = value.replace("${" + name + "}", replacement)
        return value
    if isinstance(value, dict):
        return {key: _fill(item, placeholders) for key, item in value.items()}
    if isinstance(value, list):
        return [_fill(item, placeholders) for item in value]
    return value
