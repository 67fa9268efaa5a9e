"""`dockyard init`, `validate`, `explain` and `schema` as a person uses them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from dockyard.load import schemas
from tests.helpers import EXAMPLES, copy_example, replace, run_cli


def test_init_scaffolds_a_repo_that_validates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "platform"
    created = run_cli(capsys, "init", str(target))
    assert created.code == 0
    assert created.out.splitlines() == [
        f"created platform repo {target} (23 files)",
        f"next: dockyard validate {target}, then dockyard charts pull {target} (the pinned charts)",
    ]
    checked = run_cli(capsys, "validate", str(target))
    assert (checked.code, checked.out) == (0, "valid: shop: 4 services, 2 environments, clusters local, prod-eu\n")
    assert (target / ".git").is_dir()


def test_init_writes_exactly_the_example_shop_without_its_pulled_charts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "platform"
    run_cli(capsys, "init", str(target))
    example = EXAMPLES / "shop"
    files = sorted(p.relative_to(example) for p in example.rglob("*") if p.is_file() and "charts" not in p.parts)
    assert Path("charts.lock") in files
    assert files == sorted(p.relative_to(target) for p in target.rglob("*") if p.is_file() and ".git" not in p.parts)
    assert all((target / f).read_bytes() == (example / f).read_bytes() for f in files)


def test_init_refuses_a_directory_that_is_not_empty(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    result = run_cli(capsys, "init", str(tmp_path))
    assert result.code == 2
    assert result.err == f"error: {tmp_path} already exists and is not empty; choose a new directory\n"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_validate_one_cluster(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "validate", str(EXAMPLES / "shop"), "--cluster", "local")
    assert (result.code, result.out) == (0, "valid: shop: 4 services, 2 environments, cluster local\n")


def test_validate_from_a_directory_inside_the_repo(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "validate", str(EXAMPLES / "shop" / "services" / "orders"))
    assert result.code == 0


def test_validate_unknown_cluster_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "validate", str(EXAMPLES / "shop"), "--cluster", "prod")
    assert result.code == 2
    assert result.err == "error: unknown cluster `prod`; clusters: local, prod-eu (did you mean `prod-eu`?)\n"


def test_validate_outside_a_platform_repo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "validate", str(tmp_path))
    assert result.code == 2
    assert result.err.startswith("error: no platform.yaml in ")
    assert result.err.endswith(" or any parent directory; run `dockyard init DIR` to create a platform repo\n")


def test_unknown_option_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "validate", "--clutser", "local")
    assert result.code == 2
    assert "No such option: --clutser" in result.err


def test_explain_a_value_set_by_a_service_override(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "explain", "services.orders.replicas", "--cluster", "prod-eu", str(EXAMPLES / "shop"))
    assert result.code == 0
    assert result.out.splitlines() == [
        "services.orders.replicas = 3",
        "  set by services/orders/overrides/prod.yaml:5:11",
        "  overrides 2 from environments/prod.yaml:7:13",
        "  overrides 1 from platform.yaml:11:13",
        "  overrides 1 from built-in defaults",
    ]


def test_explain_the_same_key_on_another_cluster(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "explain", "services.orders.replicas", "--cluster", "local", str(EXAMPLES / "shop"))
    assert result.out.splitlines() == [
        "services.orders.replicas = 1",
        "  set by platform.yaml:11:13",
        "  overrides 1 from built-in defaults",
    ]


def test_explain_a_mapping_lists_each_leaf_with_its_origin(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "explain", "services.orders.autoscaling", "-c", "prod-eu", str(EXAMPLES / "shop"))
    assert [" ".join(line.split()) for line in result.out.splitlines()] == [
        "services.orders.autoscaling:",
        "services.orders.autoscaling.enabled = true (services/orders/overrides/prod.yaml:7:12)",
        "services.orders.autoscaling.maxReplicas = 10 (clusters/prod-eu.yaml:12:18)",
        "services.orders.autoscaling.minReplicas = 3 (services/orders/overrides/prod.yaml:8:16)",
        "services.orders.autoscaling.targetCPUUtilizationPercentage = 75 (built-in defaults)",
    ]


def test_explain_a_platform_value(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "explain", "domain", "-c", "local", str(EXAMPLES / "shop"))
    assert result.out.splitlines() == [
        'domain = "shop.localtest.me"',
        "  set by clusters/local.yaml:9:9",
        '  overrides "dev.shop.example.com" from environments/dev.yaml:5:9',
        '  overrides "shop.example.com" from platform.yaml:7:9',
    ]


def test_explain_a_key_removed_by_null(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = copy_example(tmp_path)
    replace(repo, "clusters/prod-eu.yaml", "  autoscaling:\n    maxReplicas: 10", "  disruptionBudget: null")
    result = run_cli(capsys, "explain", "services.web.disruptionBudget", "-c", "prod-eu", str(repo))
    assert result.out.splitlines() == [
        "services.web.disruptionBudget is unset: removed (null) by clusters/prod-eu.yaml:11:21",
    ]


def test_explain_suggests_close_keys(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "explain", "services.orders.replica", "-c", "local", str(EXAMPLES / "shop"))
    assert result.code == 2
    assert result.err == (
        "error: no value `replica` under services.orders for cluster `local` (did you mean `replicas`?)\n"
    )


def test_schema_prints_every_kind(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "schema")
    printed = json.loads(result.out)
    assert sorted(printed) == [
        "cluster",
        "environment",
        "platform",
        "provisioner",
        "score",
        "serviceoverride",
        "servicesettings",
    ]
    for document in printed.values():
        Draft202012Validator.check_schema(document)


def test_schema_out_writes_files_matching_the_examples(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "schema", "--out", str(tmp_path))
    assert result.code == 0
    shipped = EXAMPLES / "shop" / ".dockyard" / "schemas"
    for kind in schemas.BY_KIND:
        assert (tmp_path / f"{kind}.json").read_text() == (shipped / f"{kind}.json").read_text(), (
            f"examples/shop/.dockyard/schemas/{kind}.json is stale: run `dockyard schema --out` there"
        )


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    from dockyard import __version__

    assert run_cli(capsys, "--version").out == f"dockyard {__version__}\n"


BAD_KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{name: x, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]
users: [{name: x, user: {token: abc}}]
contexts: [{name: x, context: {cluster: x, user: x}}]
current-context: x
"""


@pytest.mark.tools
def test_plan_says_when_the_cluster_cannot_be_reached(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(BAD_KUBECONFIG)
    repo = EXAMPLES / "shop"
    refused = run_cli(capsys, "plan", str(repo), "-c", "local", "--kubeconfig", str(kubeconfig), "--context", "x")
    assert (refused.code, refused.err) == (
        1,
        "error: cannot reach the cluster (context x): [Errno 111] Connection refused\n",
    )
    unknown = run_cli(capsys, "plan", str(repo), "-c", "local", "--kubeconfig", str(kubeconfig), "--context", "y")
    assert (unknown.code, unknown.err) == (1, f"error: cannot use context `y` in {kubeconfig}: Context 'y' not found\n")
    # with --detailed-exitcode, 2 means changes and nothing else: an unknown cluster, a usage error, is 1
    for args in (("-c", "nowhere"), ("-c", "local", "--output", "yaml"), ("-c", "local", "--no-such-flag")):
        failed = run_cli(capsys, "plan", str(repo), *args, "--detailed-exitcode")
        assert failed.code == 1, failed.err
        assert run_cli(capsys, "plan", str(repo), *args).code == 2


@pytest.mark.parametrize(("command", "formats"), [("check", "text, json or sarif"), ("plan", "text or json")])
def test_an_unknown_output_format_is_a_usage_error(
    command: str, formats: str, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_cli(capsys, command, str(EXAMPLES / "shop"), "-c", "local", "--output", "xml")
    assert (result.code, result.err) == (2, f"error: --output must be {formats}, not `xml`\n")


def test_a_service_directory_name_longer_than_a_label_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    repo = copy_example(tmp_path)
    long_name = "w" * 64
    shutil.move(repo / "services" / "worker", repo / "services" / long_name)
    result = run_cli(capsys, "validate", str(repo))
    assert result.err.splitlines()[0].startswith(
        f"services/{long_name}/score.yaml:1:1: service name `{long_name}` (from the file name) must be a DNS-1123"
    )
