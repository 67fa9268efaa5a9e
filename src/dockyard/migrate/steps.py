"""The migrations, each named by the Dockyard version whose schema it moves a repo to.

A step reads and rewrites the repo's files as text in memory (`Tree`: path -> text), so a later
step sees what an earlier one wrote; it changes a file only when the file needs it, which makes
every step idempotent. CHANGELOG.md lists each of them beside the schema change it follows.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from dockyard.errors import Position, Problem, Problems
from dockyard.load.files import PLATFORM_FILE, SETTINGS_FILE
from dockyard.load.schemas import V1ALPHA1, V1ALPHA2
from dockyard.load.versions import CORE_KEY, series
from dockyard.migrate.roundtrip import RoundTrip, comment_lines_before, dedent_comments, head_comment

Tree = dict[str, str]
"""The repo's YAML files that migrations may change, by repo-relative path."""

LEGACY_KEY = "x-dockyard"
_MODELINE = re.compile(r"^# yaml-language-server: \$schema=(?P<dir>.*/)?[^/]+\.json$")


@dataclass(frozen=True)
class Step:
    since: str
    """The Dockyard version whose schema this step moves the repo to."""
    title: str
    run: Callable[[Tree, str, Problems], None]
    """(files, target version, problems): rewrites files in place, records what it cannot do."""


def pin_core(tree: Tree, target: str, problems: Problems) -> None:
    """platform.yaml v1alpha1 -> v1alpha2: it names the Dockyard versions the repo is written for;
    a v1alpha2 range that leaves out `target` moves to `target`'s series."""
    text = tree.get(PLATFORM_FILE)
    if text is None:
        return
    style = RoundTrip(PLATFORM_FILE, text)
    data = style.load(text)
    if not isinstance(data, CommentedMap):
        return
    wanted = series(target)
    if data.get("apiVersion") == V1ALPHA1:
        data["apiVersion"] = V1ALPHA2
        keys = list(data)
        data.insert(keys.index("kind") + 1 if "kind" in keys else len(keys), CORE_KEY, DoubleQuotedScalarString(wanted))
    elif data.get("apiVersion") == V1ALPHA2 and not _admits(data.get(CORE_KEY), target):
        data[CORE_KEY] = DoubleQuotedScalarString(wanted)
    else:
        return
    tree[PLATFORM_FILE] = style.dump(data)


def _admits(written: object, version: str) -> bool:
    try:
        return isinstance(written, str) and SpecifierSet(written, prereleases=True).contains(Version(version))
    except InvalidSpecifier:
        return False


def settings_out_of_score(tree: Tree, _target: str, problems: Problems) -> None:
    """score.yaml's `x-dockyard` -> services/<name>/dockyard.yaml (kind ServiceSettings), so the
    Score file is valid for every Score tool."""
    for path in sorted(p for p in tree if p.startswith("services/") and p.endswith("/score.yaml")):
        text = tree[path]
        style = RoundTrip(path, text)
        data = style.load(text)
        if not isinstance(data, CommentedMap) or LEGACY_KEY not in data:
            continue
        target = path.removesuffix("score.yaml") + SETTINGS_FILE
        if target in tree:
            problems.append(
                Problem(
                    Position(path, 1, 1),
                    f"score.yaml has `{LEGACY_KEY}` and {target} exists too; nothing was migrated",
                    f"move the settings from score.yaml into {target} by hand, then run migrate again",
                )
            )
            continue
        above = comment_lines_before(data, LEGACY_KEY)
        block = data[LEGACY_KEY]
        del data[LEGACY_KEY]
        tree[path] = style.dump(data)
        head = _modeline(text, "servicesettings") + above
        tree[target] = style.dump(_settings_document("ServiceSettings", V1ALPHA1, head, block, style.mapping))


def flat_overrides(tree: Tree, _target: str, problems: Problems) -> None:
    """ServiceOverride v1alpha1 -> v1alpha2: the settings at the top level, without `x-dockyard`."""
    for path in sorted(p for p in tree if p.startswith("services/") and "/overrides/" in p):
        text = tree[path]
        style = RoundTrip(path, text)
        data = style.load(text)
        if not isinstance(data, CommentedMap) or data.get("apiVersion") != V1ALPHA1:
            continue
        head = _head_lines(data)
        above = comment_lines_before(data, LEGACY_KEY) if LEGACY_KEY in data else []
        block = data.get(LEGACY_KEY)
        tree[path] = style.dump(
            _settings_document("ServiceOverride", V1ALPHA2, head + above, block or CommentedMap(), style.mapping)
        )


def _settings_document(kind: str, api_version: str, head: list[str], block: object, indent: int) -> CommentedMap:
    document = CommentedMap()
    document["apiVersion"] = api_version
    document["kind"] = kind
    if isinstance(block, CommentedMap):
        first = block.ca.comment[1] if block.ca.comment and len(block.ca.comment) > 1 and block.ca.comment[1] else []
        head = head + [line.strip() for token in first for line in token.value.splitlines() if line.strip()]
        dedent_comments(block, indent)
        for key, value in block.items():
            document[key] = value
            if key in block.ca.items:
                document.ca.items[key] = block.ca.items[key]
    if head:
        head_comment(document, head)
    return document


def _head_lines(data: CommentedMap) -> list[str]:
    """The comment lines above a document's first key."""
    head = data.ca.comment
    tokens = head[1] if head and len(head) > 1 and head[1] else []
    return [line for token in tokens for line in token.value.splitlines() if line.strip()]


def _modeline(score_text: str, kind: str) -> list[str]:
    """An editor modeline for the new file when score.yaml had one (same schema directory)."""
    for line in score_text.splitlines()[:5]:
        found = _MODELINE.match(line.strip())
        if found:
            return [f"# yaml-language-server: $schema={found.group('dir') or ''}{kind}.json"]
    return []


STEPS = (
    Step("0.2", "platform.yaml names the Dockyard versions it is written for (Platform v1alpha2)", pin_core),
    Step(
        "0.2", "Dockyard's settings move out of score.yaml into dockyard.yaml (ServiceSettings)", settings_out_of_score
    ),
    Step("0.2", "ServiceOverride v1alpha2 holds the settings at the top level", flat_overrides),
)
"""Every migration, oldest first."""
