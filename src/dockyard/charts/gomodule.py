"""Fetch one directory (or file) of a tagged Go module from the Go module proxy.

The module's whole zip is hashed as the go command does (the `h1:` hash go.sum records), so
a pin can be compared with go.sum or sum.golang.org; then the chosen directory is repacked
deterministically as a chart archive.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import urllib.error
import urllib.request
import zipfile

from dockyard.charts.source import ChartSource

DEFAULT_PROXY = "https://proxy.golang.org"
MAX_ZIP = 512 * 1024 * 1024


class FetchFailed(Exception):
    """The proxy could not be reached or did not serve the module; the message says which."""


def proxy_url() -> str:
    """The first http(s) entry of GOPROXY, as the go command would try it."""
    for entry in os.environ.get("GOPROXY", DEFAULT_PROXY).replace("|", ",").split(","):
        entry = entry.strip()
        if entry.startswith(("https://", "http://")):
            return entry.rstrip("/")
    return DEFAULT_PROXY


def _escape(path: str) -> str:
    """Module path escaping of the proxy protocol: an upper-case letter becomes ! and its lower case."""
    return "".join(f"!{c.lower()}" if c.isupper() else c for c in path)


def h1_hash(archive: zipfile.ZipFile) -> str:
    """The go command's dirhash Hash1 of a module zip: sha256 over sorted `sha256  name` lines."""
    summary = hashlib.sha256()
    for name in sorted(n for n in archive.namelist() if not n.endswith("/")):
        if "\n" in name:
            raise FetchFailed(f"file name {name!r} contains a newline")
        summary.update(f"{hashlib.sha256(archive.read(name)).hexdigest()}  {name}\n".encode())
    return "h1:" + base64.b64encode(summary.digest()).decode()


def download(source: ChartSource, timeout: float = 120.0) -> tuple[bytes, str]:
    """The module zip's bytes and its h1: hash."""
    assert source.gomodule is not None
    url = f"{proxy_url()}/{_escape(source.gomodule)}/@v/{_escape(source.version)}.zip"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            data = response.read(MAX_ZIP + 1)
    except urllib.error.HTTPError as error:
        raise FetchFailed(f"{url}: HTTP {error.code} ({error.reason})") from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise FetchFailed(f"{url}: {reason}") from None
    if len(data) > MAX_ZIP:
        raise FetchFailed(f"{url}: the module is larger than {MAX_ZIP // (1024 * 1024)} MiB")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return data, h1_hash(archive)
    except zipfile.BadZipFile:
        raise FetchFailed(f"{url}: not a zip file") from None


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
    return files
