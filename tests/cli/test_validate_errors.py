"""Bad input gets one exact line per problem (FILE:LINE:COL: message), exit 1, and nothing else."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import copy_example, replace, run_cli, write

Edit = Callable[[Path], object]


def _bomb(levels: int = 9) -> str:
    lines = ["apiVersion: dockyard.dev/v1alpha1", "kind: Environment", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


def _symlink(target: str, link: str) -> Edit:
    def edit(repo: Path) -> None:
        outside = repo.parent / "outside.yaml"
        outside.write_text("openapi: 3.0.3\n")
        (repo / link).unlink()
        os.symlink(outside if target == "outside" else target, repo / link)

    return edit


HEADER = "apiVersion: dockyard.dev/v1alpha1\nkind: Environment\n"
DNS = "must be a DNS-1123 label: at most 63 characters of a-z, 0-9 and '-', starting and ending with a letter or digit"

CASES: dict[str, tuple[Edit, list[str]]] = {
    "syntax error": (
        lambda r: replace(
            r, "services/web/score.yaml", "image: ghcr.io/dockyard-examples/shop-web:2.3.0", "image: [ghcr.io/x"
        ),
        ["services/web/score.yaml:9:14: invalid YAML: expected ',' or ']', but got ':' while parsing a flow sequence"],
    ),
    "tab in indentation": (
        lambda r: replace(r, "environments/dev.yaml", "profile: dev-fast", "serviceDefaults:\n\treplicas: 2"),
        [
            "environments/dev.yaml:7:1: tab character in indentation",
            "  hint: YAML indents with spaces only; replace the tab with spaces",
        ],
    ),
    "duplicate key": (
        lambda r: replace(r, "platform.yaml", "profile: dev-fast", "profile: dev-fast\nprofile: full"),
        ["platform.yaml:8:1: duplicate key `profile` (first defined at line 7)", "  hint: remove one of them"],
    ),
    "unknown field with suggestion": (
        lambda r: replace(r, "services/web/score.yaml", "replicas: 2", "replica: 2"),
        ["services/web/score.yaml:45:3: unknown field `replica` in `x-dockyard`", "  hint: did you mean `replicas`?"],
    ),
    "unknown top-level field": (
        lambda r: replace(r, "platform.yaml", "profile: dev-fast", "profil: dev-fast"),
        ["platform.yaml:7:1: unknown field `profil`", "  hint: did you mean `profile`?"],
    ),
    "wrong type": (
        lambda r: replace(r, "services/web/score.yaml", "replicas: 2", "replicas: two"),
        ['services/web/score.yaml:45:13: `x-dockyard.replicas` must be an integer, got string "two"'],
    ),
    "enum with suggestion": (
        lambda r: replace(r, "platform.yaml", "profile: dev-fast", "profile: dev-fats"),
        [
            'platform.yaml:7:10: `profile` must be one of dev-fast, full, complete; got string "dev-fats"',
            "  hint: did you mean `dev-fast`?",
        ],
    ),
    "service directory not a DNS label": (
        lambda r: shutil.move(r / "services/worker", r / "services/Worker_1"),
        [
            f"services/Worker_1/score.yaml:1:1: service name `Worker_1` (from the file name) {DNS}",
            "  hint: rename the service's directory",
        ],
    ),
    "metadata.name not a DNS label": (
        lambda r: replace(r, "services/web/score.yaml", "name: web", "name: Web"),
        [f'services/web/score.yaml:5:9: `metadata.name` {DNS}; got string "Web"'],
    ),
    "environment file name not a DNS label": (
        lambda r: shutil.move(r / "environments/dev.yaml", r / "environments/Dev.yaml"),
        [
            "clusters/local.yaml:5:14: cluster `local` names environment `dev`, which does not exist "
            "(no environments/dev.yaml)",
            "  hint: did you mean `Dev`?",
            f"environments/Dev.yaml:1:1: environment name `Dev` (from the file name) {DNS}",
            "  hint: rename the file",
        ],
    ),
    "port out of range": (
        lambda r: replace(r, "services/web/score.yaml", "port: 80\n", "port: 70000\n"),
        ["services/web/score.yaml:33:13: `service.ports.http.port` is 70000, out of range 1-65535"],
    ),
    "dependency on a missing service": (
        lambda r: replace(
            r, "services/payments/score.yaml", "  orders:\n    type: service", "  order:\n    type: service"
        ),
        [
            "services/payments/score.yaml:32:3: depends on service `order`, which does not exist "
            "(no services/order/score.yaml)",
            "  hint: did you mean `orders`?",
        ],
    ),
    "dependency named in params": (
        lambda r: replace(
            r,
            "services/web/score.yaml",
            "  orders:\n    type: service",
            "  orders:\n    type: service\n    params:\n      name: ordrs",
        ),
        [
            "services/web/score.yaml:45:13: depends on service `ordrs`, which does not exist "
            "(no services/ordrs/score.yaml)",
            "  hint: did you mean `orders`?",
        ],
    ),
    "cluster names an unknown environment": (
        lambda r: replace(r, "clusters/prod-eu.yaml", "environment: prod", "environment: production"),
        [
            "clusters/prod-eu.yaml:5:14: cluster `prod-eu` names environment `production`, which does not exist "
            "(no environments/production.yaml)",
            "  hint: known environments: dev, prod",
        ],
    ),
    "override for an unknown environment": (
        lambda r: shutil.move(r / "services/orders/overrides/prod.yaml", r / "services/orders/overrides/staging.yaml"),
        [
            "services/orders/overrides/staging.yaml:3:1: override of `orders` names environment `staging`, which does "
            "not exist (no environments/staging.yaml)",
            "  hint: known environments: dev, prod",
        ],
    ),
    "contract escapes the repo": (
        lambda r: replace(r, "services/orders/score.yaml", "contract: openapi.yaml", "contract: ../../../outside.yaml"),
        [
            "services/orders/score.yaml:49:13: `../../../outside.yaml` resolves outside the platform repo",
            "  hint: files must live inside the repo; replace the symlink or `..` path with a real file",
        ],
    ),
    "contract escapes through a symlink": (
        _symlink("outside", "services/orders/openapi.yaml"),
        [
            "services/orders/score.yaml:49:13: `openapi.yaml` resolves outside the platform repo",
            "  hint: files must live inside the repo; replace the symlink or `..` path with a real file",
        ],
    ),
    "contract does not exist": (
        lambda r: replace(r, "services/orders/score.yaml", "contract: openapi.yaml", "contract: openapi.yml"),
        [
            "services/orders/score.yaml:49:13: `openapi.yml` does not exist (looked for services/orders/openapi.yml)",
            "  hint: did you mean `openapi.yaml`?",
        ],
    ),
    "file source is absolute": (
        lambda r: replace(r, "services/web/score.yaml", "source: nginx.conf", "source: /etc/passwd"),
        [
            "services/web/score.yaml:14:17: `/etc/passwd` is an absolute path",
            "  hint: give a path relative to the service's directory",
        ],
    ),
    "file source escapes the repo": (
        lambda r: replace(r, "services/web/score.yaml", "source: nginx.conf", "source: ../../../outside.yaml"),
        [
            "services/web/score.yaml:14:17: `../../../outside.yaml` resolves outside the platform repo",
            "  hint: files must live inside the repo; replace the symlink or `..` path with a real file",
        ],
    ),
    "score.yaml is a symlink out of the repo": (
        _symlink("outside", "services/web/score.yaml"),
        [
            "services/web/score.yaml:1:1: `services/web/score.yaml` resolves outside the platform repo",
            "  hint: files must live inside the repo; replace the symlink or `..` path with a real file",
        ],
    ),
    "alias bomb": (
        lambda r: write(r, "environments/dev.yaml", _bomb()),
        [
            "environments/dev.yaml:3:31: document expands to more than 100,000 nodes",
            "  hint: YAML aliases (*name) that repeat large anchors multiply the size; write the values out",
        ],
    ),
    "absurd nesting": (
        lambda r: write(r, "environments/dev.yaml", HEADER + "x: " + "[" * 10000 + "]" * 10000 + "\n"),
        ["environments/dev.yaml:3:68: nesting is too deep; Dockyard reads at most 64 levels"],
    ),
    "absurd dash nesting": (
        lambda r: write(r, "environments/dev.yaml", HEADER + "x:\n" + "- " * 100000 + "y\n"),
        ["environments/dev.yaml:4:129: nesting is too deep; Dockyard reads at most 64 levels"],
    ),
    "absurd size": (
        lambda r: write(r, "environments/dev.yaml", HEADER + "# padding\n" * 200_000),
        [
            "environments/dev.yaml:1:1: file is 2,000,052 bytes; Dockyard reads files of at most 1,048,576 bytes",
            "  hint: split large values into separate files, or check that this is the file you meant",
        ],
    ),
    "bytes that are not UTF-8": (
        lambda r: write(r, "environments/dev.yaml", HEADER.encode() + b"domain: caf\xe9.example.com\n"),
        ["environments/dev.yaml:3:12: not valid UTF-8 (byte 0xe9)", "  hint: save the file as UTF-8"],
    ),
    "wrong Score apiVersion": (
        lambda r: replace(r, "services/web/score.yaml", "apiVersion: score.dev/v1b1", "apiVersion: score.dev/v1"),
        [
            "services/web/score.yaml:3:13: unsupported Score apiVersion `score.dev/v1`",
            "  hint: Dockyard reads Score workloads with `apiVersion: score.dev/v1b1`",
        ],
    ),
    "unknown resource type": (
        lambda r: replace(r, "services/worker/score.yaml", "type: redis", "type: rediss"),
        ["services/worker/score.yaml:31:11: unknown resource type `rediss`", "  hint: did you mean `redis`?"],
    ),
    "missing required field": (
        lambda r: replace(r, "services/web/score.yaml", "    image: ghcr.io/dockyard-examples/shop-web:2.3.0\n", ""),
        ["services/web/score.yaml:7:3: missing required field `image` in `containers.web`"],
    ),
    "empty file": (
        lambda r: write(r, "environments/dev.yaml", ""),
        ["environments/dev.yaml:1:1: expected a mapping at the top of the file, got an empty file"],
    ),
    "wrong kind": (
        lambda r: replace(r, "environments/dev.yaml", "kind: Environment", "kind: Cluster"),
        ['environments/dev.yaml:4:7: `kind` must be `Environment`, got string "Cluster"'],
    ),
    "bad CPU quantity": (
        lambda r: replace(r, "platform.yaml", "cpu: 50m", "cpu: lots"),
        [
            "platform.yaml:13:12: `serviceDefaults.resources.requests.cpu` must be a CPU quantity such as 250m, "
            '0.5 or 2; got string "lots"'
        ],
    ),
    "a .yml file": (
        lambda r: write(r, "environments/qa.yml", "x: 1\n"),
        ["environments/qa.yml:1:1: Dockyard reads `.yaml` files only", "  hint: rename it to qa.yaml"],
    ),
    "metadata.name differs from the directory": (
        lambda r: replace(r, "services/web/score.yaml", "name: web", "name: webshop"),
        [
            "services/web/score.yaml:5:9: metadata.name `webshop` does not match the service's directory `web`",
            "  hint: rename one of them; the directory is services/web/",
        ],
    ),
    "a service depends on itself": (
        lambda r: replace(r, "services/orders/score.yaml", "  api:\n    type: api", "  orders:\n    type: service"),
        ["services/orders/score.yaml:40:3: service `orders` depends on itself"],
    ),
    "YAML tag": (
        lambda r: replace(r, "platform.yaml", "name: shop", "name: !!binary c2hvcA=="),
        [
            "platform.yaml:5:7: unsupported YAML tag `tag:yaml.org,2002:binary`",
            "  hint: remove the tag; Dockyard reads plain values",
        ],
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_reported_exactly(case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit, expected = CASES[case]
    repo = copy_example(tmp_path)
    edit(repo)
    result = run_cli(capsys, "validate", str(repo))
    count = sum(1 for line in expected if not line.startswith("  "))
    summary = f"{count} problem{'s' if count != 1 else ''} found; nothing was changed"
    assert result.err.splitlines() == [*expected, summary]
    assert result.code == 1
    assert result.out == ""
    assert "Traceback" not in result.err


def test_every_problem_is_reported_at_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = copy_example(tmp_path)
    replace(repo, "services/web/score.yaml", "replicas: 2", "replica: 2")
    replace(repo, "clusters/prod-eu.yaml", "environment: prod", "environment: production")
    replace(repo, "platform.yaml", "profile: dev-fast", "profile: fast")
    result = run_cli(capsys, "validate", str(repo))
    problem_lines = [line for line in result.err.splitlines() if not line.startswith("  ")]
    assert problem_lines == [
        "clusters/prod-eu.yaml:5:14: cluster `prod-eu` names environment `production`, which does not exist "
        "(no environments/production.yaml)",
        'platform.yaml:7:10: `profile` must be one of dev-fast, full, complete; got string "fast"',
        "services/web/score.yaml:45:3: unknown field `replica` in `x-dockyard`",
        "3 problems found; nothing was changed",
    ]
    assert result.code == 1


def test_alias_bomb_fails_fast_in_small_memory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import resource

    repo = copy_example(tmp_path)
    write(repo, "environments/dev.yaml", _bomb(levels=30))  # 10**31 nodes if expanded
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = run_cli(capsys, "validate", str(repo))
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert result.code == 1
    assert "document expands to more than 100,000 nodes" in result.err
    assert grown_kib < 200_000
