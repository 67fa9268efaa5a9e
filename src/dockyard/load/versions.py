"""Which Dockyard a platform repo is written for, and the file versions that load but are deprecated.

platform.yaml's `dockyard` names the Dockyard versions the repo works with, as a version range
(`>=0.2,<0.3`, PEP 440 specifiers as pip reads them). Every command refuses a repo whose range
leaves out the running Dockyard, before it reads anything else: a repo written for a newer
Dockyard may use fields this one does not know, and those errors would only mislead.

A file in an older schema version still loads, with a warning that names the file and the
command that moves it to the current one (`dockyard migrate`, dockyard/migrate/); CHANGELOG.md
lists every schema change and its migration.
"""

from __future__ import annotations

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from dockyard import __version__
from dockyard.errors import Problem
from dockyard.load.schemas import V1ALPHA1
from dockyard.load.yamlsafe import Document

CORE_KEY = "dockyard"
"""platform.yaml's key for the range of Dockyard versions the repo is written for."""

MIGRATE_HINT = "run `dockyard migrate REPO` to move the repo to the current schema (`--dry-run` shows the change)"
SINCE = "0.2"


def series(version: str = __version__) -> str:
    """The range a repo written for `version` names: its minor series, as `>=0.2,<0.3`."""
    release = Version(version).release
    major, minor = release[0], release[1] if len(release) > 1 else 0
    upper = f"{major}.{minor + 1}" if major == 0 else f"{major + 1}.0"
    return f">={major}.{minor},<{upper}"


def core_range_problem(platform: Document, running: str = __version__) -> Problem | None:
    """Why this Dockyard must not read the repo whose platform.yaml is `platform`; None: it may."""
    data = platform.data
    written = data.get(CORE_KEY) if isinstance(data, dict) else None
    if not isinstance(written, str):
        return None  # absent (v1alpha1, deprecated) or not text (the schema reports it)
    where = platform.position((CORE_KEY,))
    try:
        wanted = SpecifierSet(written, prereleases=True)
    except InvalidSpecifier:
        return Problem(
            where,
            f'`{CORE_KEY}` must be a version range such as "{series()}", got "{written}"',
            "separate the conditions with commas: >=, <=, >, <, ==, != or ~= and a version",
        )
    version = Version(running)
    if wanted.contains(version):
        return None
    if _newer_than(wanted, version):
        hint = (
            f"install a Dockyard in that range (e.g. uv tool install 'dockyard{written}'); "
            "a repo never moves to another Dockyard by surprise"
        )
    else:
        hint = (
            f"move the repo to this Dockyard with `dockyard migrate REPO` (it also updates the range; read "
            f"CHANGELOG.md first), or install a Dockyard in the range (uv tool install 'dockyard{written}')"
        )
    return Problem(where, f"this repo is written for Dockyard {written}; this is Dockyard {running}", hint)


def needs_newer(written: str, version: str) -> bool:
    """Whether the range `written` asks for a Dockyard newer than `version` (False if not a range)."""
    try:
        wanted = SpecifierSet(written, prereleases=True)
    except InvalidSpecifier:
        return False
    return not wanted.contains(Version(version)) and _newer_than(wanted, Version(version))


def _newer_than(wanted: SpecifierSet, version: Version) -> bool:
    """Whether the range asks for a Dockyard newer than `version` (else: older, or elsewhere)."""
    for spec in wanted:
        if spec.contains(version, prereleases=True):
            continue
        if spec.operator in (">", ">="):
            return True
        if spec.operator in ("==", "~=", "==="):
            return Version(spec.version.removesuffix(".*")) > version
    return False


def deprecation(kind: str, document: Document) -> Problem | None:
    """The warning for a file in a schema version that is deprecated; None for a current one."""
    data = document.data if isinstance(document.data, dict) else {}
    api_version = data.get("apiVersion")
    if kind == "platform" and api_version == V1ALPHA1:
        return Problem(
            document.position(("apiVersion",)),
            f"platform.yaml in {V1ALPHA1} is deprecated since Dockyard {SINCE}: v1alpha2 names the Dockyard "
            f'versions the repo is written for (`{CORE_KEY}: "{series()}"`)',
            MIGRATE_HINT,
        )
    if kind == "serviceoverride" and api_version == V1ALPHA1:
        return Problem(
            document.position(("apiVersion",)),
            f"a ServiceOverride in {V1ALPHA1} is deprecated since Dockyard {SINCE}: v1alpha2 holds the settings "
            "at the top level, without `x-dockyard`",
            MIGRATE_HINT,
        )
    if kind == "score" and "x-dockyard" in data:
        return Problem(
            document.position(("x-dockyard",), key=True),
            f"`x-dockyard` in score.yaml is deprecated since Dockyard {SINCE}: Dockyard's settings live in "
            f"{_beside(document.file)}, so score.yaml stays valid for every Score tool",
            MIGRATE_HINT,
        )
    return None


def _beside(score_file: str) -> str:
    return score_file.rsplit("/", 1)[0] + "/dockyard.yaml"
