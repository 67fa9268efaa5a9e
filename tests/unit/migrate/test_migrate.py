"""`dockyard migrate`: a repo in each older schema moves to the current one, renders the same, keeps
its comments and formatting, and a second run changes nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dockyard.actions import load_repo, platform_for
from dockyard.load.repo import load
from dockyard.migrate import plan_migration, write_migration
from dockyard.render.bundle import to_yaml
from dockyard.render.services import render
from tests.helpers import replace, run_cli, write

OLD_SHOP = Path(__file__).parent / "repos" / "shop-0.1"
"""The example shop as Dockyard 0.1 wrote it (Platform and ServiceOverride v1alpha1, settings in score.yaml)."""
EXAMPLE = Path(__file__).parents[3] / "examples" / "shop"


def _old_shop(tmp_path: Path) -> Path:
    return Path(shutil.copytree(OLD_SHOP, tmp_path / "shop"))


def _rendered(root: Path) -> dict[str, str]:
    repo = load(root)
    return {
        cluster: to_yaml(r.manifest for r in render(platform_for(repo, cluster)).objects)
        for cluster in sorted(repo.clusters)
    }


def test_the_old_shop_migrates_to_the_example_and_renders_byte_for_byte_the_same(tmp_path: Path) -> None:
    root = _old_shop(tmp_path)
    before = _rendered(root)
    migration = plan_migration(root)
    assert migration.changed == [
        "platform.yaml",
        "services/orders/dockyard.yaml",
        "services/orders/overrides/prod.yaml",
        "services/orders/score.yaml",
        "services/web/dockyard.yaml",
        "services/web/score.yaml",
    ]
    write_migration(root, migration)
    assert load(root).deprecations == []
    assert _rendered(root) == before
    for path in sorted(p for p in root.rglob("*") if p.is_file()):  # exactly what the example is today
        relative = path.relative_to(root)
        assert path.read_text() == (EXAMPLE / relative).read_text(), relative
    assert plan_migration(root).changed == []  # idempotent


def test_the_old_shop_loads_with_a_warning_per_old_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _old_shop(tmp_path)
    result = run_cli(capsys, "validate", str(root), "-c", "local")
    hint = "  hint: run `dockyard migrate REPO` to move the repo to the current schema (`--dry-run` shows the change)"
    assert result.code == 0, result.err
    assert result.err.splitlines() == [
        "warning: platform.yaml:3:13: platform.yaml in dockyard.dev/v1alpha1 is deprecated since Dockyard 0.2: "
        'v1alpha2 names the Dockyard versions the repo is written for (`dockyard: ">=0.2,<0.3"`)',
        hint,
        "warning: services/orders/overrides/prod.yaml:3:13: a ServiceOverride in dockyard.dev/v1alpha1 is deprecated "
        "since Dockyard 0.2: v1alpha2 holds the settings at the top level, without `x-dockyard`",
        hint,
        "warning: services/orders/score.yaml:48:1: `x-dockyard` in score.yaml is deprecated since Dockyard 0.2: "
        "Dockyard's settings live in services/orders/dockyard.yaml, so score.yaml stays valid for every Score tool",
        hint,
        "warning: services/web/score.yaml:44:1: `x-dockyard` in score.yaml is deprecated since Dockyard 0.2: "
        "Dockyard's settings live in services/web/dockyard.yaml, so score.yaml stays valid for every Score tool",
        hint,
    ]


def test_dry_run_prints_the_diff_and_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _old_shop(tmp_path)
    result = run_cli(capsys, "migrate", str(root), "--dry-run")
    assert result.code == 0, result.err
    assert "--- a/services/web/score.yaml\n+++ b/services/web/score.yaml\n" in result.out
    assert "--- /dev/null\n+++ b/services/web/dockyard.yaml\n" in result.out
    assert '+dockyard: ">=0.2,<0.3"\n' in result.out
    assert result.out.endswith("6 files would change (--dry-run: nothing was written)\n")
    assert not (root / "services/web/dockyard.yaml").exists()
    assert (root / "platform.yaml").read_text() == (OLD_SHOP / "platform.yaml").read_text()
    done = run_cli(capsys, "migrate", str(root))
    assert done.out.splitlines()[-1] == "migrated to Dockyard 0.2.0's schema; review with `git diff`"
    again = run_cli(capsys, "migrate", str(root))
    assert again.out == "nothing to migrate: the repo is in Dockyard 0.2.0's schema\n"


INDENTED = """# The catalog service.
apiVersion: score.dev/v1b1
metadata:
    name: catalog
containers:
    main:
        image: registry.example.org/catalog:1.0
        args:
            - --port
            - "8080"
service:
    ports:
        http: {port: 80, targetPort: 8080}   # the API

# Dockyard's own settings.
x-dockyard:
    # who answers pages
    team: search  # a team of four
    replicas: 2
    autoscaling:
        # scale on CPU
        enabled: true
"""


def test_comments_quoting_and_indentation_are_kept(tmp_path: Path) -> None:
    root = _old_shop(tmp_path)
    write(root, "services/catalog/score.yaml", INDENTED)
    write_migration(root, plan_migration(root))
    assert (root / "services/catalog/score.yaml").read_text() == INDENTED.split("\n# Dockyard's own settings.")[0]
    assert (root / "services/catalog/dockyard.yaml").read_text() == (
        "# Dockyard's own settings.\n"
        "# who answers pages\n"
        "apiVersion: dockyard.dev/v1alpha1\n"
        "kind: ServiceSettings\n"
        "team: search  # a team of four\n"
        "replicas: 2\n"
        "autoscaling:\n"
        "    # scale on CPU\n"
        "    enabled: true\n"
    )
    assert load(root).settings["catalog"].values == {"team": "search", "replicas": 2, "autoscaling": {"enabled": True}}


def test_settings_in_both_files_are_refused_and_nothing_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _old_shop(tmp_path)
    write(root, "services/web/dockyard.yaml", "apiVersion: dockyard.dev/v1alpha1\nkind: ServiceSettings\nreplicas: 3\n")
    refused = run_cli(capsys, "migrate", str(root))
    assert (refused.code, refused.err.splitlines()) == (
        1,
        [
            "services/web/score.yaml:1:1: score.yaml has `x-dockyard` and services/web/dockyard.yaml exists too; "
            "nothing was migrated",
            "  hint: move the settings from score.yaml into services/web/dockyard.yaml by hand, then run migrate again",
            "1 problem found; nothing was changed",
        ],
    )
    assert (root / "platform.yaml").read_text() == (OLD_SHOP / "platform.yaml").read_text()
    loaded = run_cli(capsys, "validate", str(root))
    assert loaded.code == 1
    assert [line for line in loaded.err.splitlines() if not line.startswith(("warning", "  hint"))] == [
        "services/web/score.yaml:44:1: service `web` has settings both here and in services/web/dockyard.yaml",
        "1 problem found; nothing was changed",
    ]


def test_a_file_behind_a_symlink_is_not_rewritten(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _old_shop(tmp_path)
    outside = tmp_path / "elsewhere"
    shutil.move(root / "services/web", outside)
    (root / "services/web").symlink_to(outside)
    before = (outside / "score.yaml").read_text()
    result = run_cli(capsys, "migrate", str(root))
    assert result.code == 1
    assert (outside / "score.yaml").read_text() == before


def test_only_forward_and_only_to_a_known_version(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _old_shop(tmp_path)
    newer = run_cli(capsys, "migrate", str(root), "--to", "9.0")
    assert (newer.code, newer.err.strip()) == (
        2,
        "error: --to 9.0: this is Dockyard 0.2.0, which knows no later schema; install Dockyard 9.0 and run its "
        "`dockyard migrate`",
    )
    assert run_cli(capsys, "migrate", str(root), "--to", "0.1").out.startswith("nothing to migrate")
    write_migration(root, plan_migration(root))
    replace(root, "platform.yaml", 'dockyard: ">=0.2,<0.3"', 'dockyard: ">=0.3,<0.4"')
    back = run_cli(capsys, "migrate", str(root))
    assert back.code == 1
    assert back.err.splitlines()[:2] == [
        "platform.yaml:5:11: this repo is written for Dockyard >=0.3,<0.4; migrate moves a repo forward only, and "
        "0.2.0 is older",
        "  hint: install a Dockyard in that range (uv tool install 'dockyard>=0.3,<0.4')",
    ]


def test_every_command_refuses_a_repo_written_for_another_dockyard(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Only that error, even when other files use fields this Dockyard does not know."""
    root = _old_shop(tmp_path)
    write_migration(root, plan_migration(root))
    replace(root, "platform.yaml", 'dockyard: ">=0.2,<0.3"', 'dockyard: ">=0.3"')
    replace(root, "environments/dev.yaml", "profile: dev-fast", "profile: dev-fast\nfeatureOfTomorrow: true")
    for command in (
        ["validate"],
        ["render", "-c", "local"],
        ["check", "-c", "local"],
        ["explain", "domain", "-c", "local"],
    ):
        result = run_cli(capsys, *command, str(root))
        assert (result.code, result.err.splitlines()) == (
            1,
            [
                "platform.yaml:5:11: this repo is written for Dockyard >=0.3; this is Dockyard 0.2.0",
                "  hint: install a Dockyard in that range (e.g. uv tool install 'dockyard>=0.3'); a repo never moves "
                "to another Dockyard by surprise",
                "1 problem found; nothing was changed",
            ],
        ), command
    replace(root, "platform.yaml", 'dockyard: ">=0.3"', 'dockyard: "<0.2"')
    older = run_cli(capsys, "validate", str(root))
    assert older.err.splitlines()[:2] == [
        "platform.yaml:5:11: this repo is written for Dockyard <0.2; this is Dockyard 0.2.0",
        "  hint: move the repo to this Dockyard with `dockyard migrate REPO` (it also updates the range; read "
        "CHANGELOG.md first), or install a Dockyard in the range (uv tool install 'dockyard<0.2')",
    ]
    replace(root, "platform.yaml", 'dockyard: "<0.2"', 'dockyard: "0.2 or later"')
    garbled = run_cli(capsys, "validate", str(root))
    assert garbled.err.splitlines()[:2] == [
        'platform.yaml:5:11: `dockyard` must be a version range such as ">=0.2,<0.3", got "0.2 or later"',
        "  hint: separate the conditions with commas: >=, <=, >, <, ==, != or ~= and a version",
    ]


def test_a_newer_apiversion_says_which_dockyard_reads_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _old_shop(tmp_path)
    write_migration(root, plan_migration(root))
    replace(root, "services/orders/overrides/prod.yaml", "dockyard.dev/v1alpha2", "dockyard.dev/v1alpha3")
    result = run_cli(capsys, "validate", str(root))
    assert result.err.splitlines()[:2] == [
        "services/orders/overrides/prod.yaml:3:13: `apiVersion` must be `dockyard.dev/v1alpha2`, got string "
        '"dockyard.dev/v1alpha3"',
        "  hint: Dockyard 0.2.0 reads this kind of file as dockyard.dev/v1alpha2; a newer apiVersion needs a newer "
        "Dockyard (the range platform.yaml's `dockyard` names), an older one `dockyard migrate`",
    ]


def test_deprecations_reach_the_actions_report(tmp_path: Path) -> None:
    lines: list[str] = []
    load_repo(_old_shop(tmp_path), lines.append)
    assert len(lines) == 4 and all(line.startswith("warning: ") for line in lines)
