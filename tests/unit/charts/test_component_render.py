"""Rendering components with the real helm: values checked against the chart, namespaces and
stages placed, API versions from the platform's own CRDs, and every render cached by content."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.errors import InputError
from dockyard.render.components.objects import ChartStore, render_components
from tests.charts import crd, helm, index, make_chart, package, platform_of, platform_repo, serve
from tests.helpers import run_cli

TEMPLATES = {
    "deployment.yaml": """apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  replicas: {{ .Values.replicaCount }}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
""",
    "role.yaml": """apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: {{ .Release.Name }}-reader
rules: []
""",
    "widget.yaml": """{{- if .Capabilities.APIVersions.Has "example.com/v1/Widget" }}
apiVersion: example.com/v1
kind: Widget
metadata:
  name: {{ .Release.Name }}-widget
spec:
  size: 3
{{- end }}
""",
}
VALUES = {
    "replicaCount": 1,
    "image": {"repository": "registry.example.org/web", "tag": "1.0.0", "pullPolicy": "IfNotPresent"},
    "ports": {"web": {"port": 8000}},
}
SCHEMA = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "properties": {
        "replicaCount": {"type": "integer", "minimum": 0},
        "image": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "repository": {"type": "string"},
                "tag": {"type": "string"},
                "pullPolicy": {"type": "string"},
            },
        },
        "ports": {"type": "object"},
    },
}


@pytest.fixture
def chart_repo(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A loopback chart repository with `web` (values.schema.json) and `widgets` (a CRD in crds/)."""
    src = tmp_path / "src"
    package(make_chart(src, "web", values=VALUES, schema=SCHEMA, templates=TEMPLATES), tmp_path / "repo")
    package(
        make_chart(src, "widgets", crds={"widgets.yaml": crd("example.com", "Widget", "widgets")}), tmp_path / "repo"
    )
    with serve(tmp_path / "repo") as url:
        index(tmp_path / "repo", url)
        yield url


def _repo(tmp_path: Path, url: str, web_extra: str = "", widgets: bool = True) -> Path:
    components = (
        f"  web:\n    chart: {{repository: '{url}', name: web, version: 1.0.0}}\n"
        "    namespace: web-system\n    stage: platform-networking\n" + web_extra
    )
    if widgets:
        components += (
            f"  widgets:\n    chart: {{repository: '{url}', name: widgets, version: 1.0.0}}\n"
            "    namespace: widgets\n    stage: platform-networking\n"
        )
    return platform_repo(tmp_path / "platform", components)


def _pulled(
    tmp_path: Path, url: str, capsys: pytest.CaptureFixture[str], web_extra: str = "", widgets: bool = True
) -> Path:
    repo = _repo(tmp_path, url, web_extra, widgets)
    pulled = run_cli(capsys, "charts", "pull", str(repo))
    assert pulled.code == 0, pulled.err
    return repo


@pytest.mark.tools
def test_objects_get_the_components_namespace_and_stage(
    tmp_path: Path, chart_repo: str, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = _pulled(tmp_path, chart_repo, capsys)
    objects = render_components(platform_of(repo), ChartStore(helm())).objects
    placed = sorted((r.stage, r.kind, r.namespace or "", r.name) for r in objects)
    assert placed == [
        ("crds", "CustomResourceDefinition", "", "widgets.example.com"),
        ("platform-networking", "ClusterRole", "", "web-reader"),
        ("platform-networking", "Deployment", "web-system", "web"),
        ("platform-networking", "Namespace", "", "web-system"),
        ("platform-networking", "Widget", "web-system", "web-widget"),
    ]
    deployment = next(r for r in objects if r.kind == "Deployment")
    assert deployment.manifest["metadata"]["labels"]["dockyard.dev/component"] == "web"
    assert deployment.manifest["metadata"]["annotations"]["dockyard.dev/source"] == "platform.yaml"


@pytest.mark.tools
def test_a_chart_sees_a_custom_resource_only_when_the_platform_has_its_crd(
    tmp_path: Path, chart_repo: str, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = _pulled(tmp_path, chart_repo, capsys, widgets=False)
    kinds = {r.kind for r in render_components(platform_of(repo), ChartStore(helm())).objects}
    assert "Widget" not in kinds
    assert "Deployment" in kinds


@pytest.mark.tools
def test_values_the_chart_does_not_have_or_rejects_are_errors_at_their_line(
    tmp_path: Path, chart_repo: str, capsys: pytest.CaptureFixture[str]
) -> None:
    extra = (
        "    values:\n"
        "      replicas: 2\n"
        "      replicaCount: many\n"
        "      image:\n"
        "        tagg: 2.0.0\n"
        "      ports:\n"
        "        metrics: {port: 9100}\n"
    )
    repo = _pulled(tmp_path, chart_repo, capsys, web_extra=extra)
    with pytest.raises(InputError) as error:
        render_components(platform_of(repo), ChartStore(helm()))
    assert [str(p) for p in error.value.problems] == [
        "platform.yaml:20:17: component `web`: `replicas` is not a value of its chart (helm would ignore it)\n"
        "  hint: did you mean `replicaCount`?",
        'platform.yaml:21:21: component `web`: the chart rejects values.replicaCount: "many" is not of type "integer"\n'
        "  hint: see the chart's values.schema.json for what it accepts",
        "platform.yaml:23:15: component `web`: the chart rejects values.image.tagg: not a value the chart knows "
        "(did you mean `tag`?)\n  hint: see the chart's values.schema.json for what it accepts",
    ]


@pytest.mark.tools
def test_overridden_values_reach_the_chart(tmp_path: Path, chart_repo: str, capsys: pytest.CaptureFixture[str]) -> None:
    repo = _pulled(tmp_path, chart_repo, capsys, web_extra="    values:\n      replicaCount: 3\n")
    (tmp_path / "platform" / "clusters" / "local.yaml").write_text(
        (tmp_path / "platform" / "clusters" / "local.yaml").read_text()
        + "components:\n  web:\n    exclude: [ClusterRole]\n"
    )
    objects = render_components(platform_of(repo), ChartStore(helm())).objects
    deployment = next(r for r in objects if r.kind == "Deployment")
    assert deployment.manifest["spec"]["replicas"] == 3
    assert "ClusterRole" not in {r.kind for r in objects}


@pytest.mark.tools
def test_an_unchanged_chart_is_never_rendered_twice(
    tmp_path: Path, chart_repo: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKYARD_CHART_CACHE", str(tmp_path / "cache"))
    repo = _pulled(tmp_path, chart_repo, capsys)
    first = ChartStore(helm())
    before = render_components(platform_of(repo), first).objects
    assert first.templates.rendered == 2
    second = ChartStore(helm())  # a new run: only the on-disk cache is shared
    again = render_components(platform_of(repo), second).objects
    assert second.templates.rendered == 0
    assert [r.manifest for r in again] == [r.manifest for r in before]
    (repo / "platform.yaml").write_text((repo / "platform.yaml").read_text() + "    values: {replicaCount: 2}\n")
    third = ChartStore(helm())
    render_components(platform_of(repo), third)
    assert third.templates.rendered == 1


@pytest.mark.tools
def test_the_clusters_kubernetes_version_reaches_helm(
    tmp_path: Path, chart_repo: str, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "newer"
    chart = make_chart(src, "future", templates={"cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"})
    (chart / "Chart.yaml").write_text((chart / "Chart.yaml").read_text() + "kubeVersion: '>=1.40.0-0'\n")
    package(chart, tmp_path / "repo")
    index(tmp_path / "repo", chart_repo)
    repo = platform_repo(
        tmp_path / "platform",
        f"  future:\n    chart: {{repository: '{chart_repo}', name: future, version: 1.0.0}}\n"
        "    namespace: future\n    stage: platform-services\n",
    )
    assert run_cli(capsys, "charts", "pull", str(repo)).code == 0
    with pytest.raises(InputError) as error:
        render_components(platform_of(repo), ChartStore(helm()))
    (problem,) = error.value.problems
    assert str(problem).startswith("platform.yaml:16:5: component `future`: helm template failed: ")
    assert "v1.36.0" in str(problem)


@pytest.mark.tools
def test_a_chart_that_renders_secret_values_is_warned_about(
    tmp_path: Path, chart_repo: str, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = "apiVersion: v1\nkind: Secret\nmetadata: {name: admin}\nstringData: {password: {{ .Values.password }}}\n"
    chart = make_chart(tmp_path / "leaky", "leaky", values={"password": "chart-default"}, templates={"s.yaml": secret})
    package(chart, tmp_path / "repo")
    index(tmp_path / "repo", chart_repo)
    repo = platform_repo(
        tmp_path / "platform",
        f"  leaky:\n    chart: {{repository: '{chart_repo}', name: leaky, version: 1.0.0}}\n"
        "    namespace: leaky\n    stage: platform-services\n",
    )
    assert run_cli(capsys, "charts", "pull", str(repo)).code == 0
    rendered = run_cli(capsys, "render", str(repo), "-c", "local", "--only", "platform")
    assert rendered.code == 0
    assert rendered.err.splitlines() == [
        "warning: platform.yaml:16:5: component `leaky` renders Secret leaky/admin with its values, so they are in "
        "the render (and in its output files)",
        "  hint: set the chart's existing-secret value instead, to a Secret made from the repo's encrypted secrets "
        "(`components.<name>.secrets`) or one Dockyard's ensure-secret task creates",
    ]


@pytest.mark.tools
def test_a_hook_that_never_runs_on_install_or_upgrade_is_not_installed(
    tmp_path: Path, chart_repo: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """helm template renders every hook; a cleanup job of `pre-delete` would otherwise run on apply."""

    def job(name: str, phases: str) -> str:
        return (
            f"apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {name}\n  annotations:\n"
            f"    helm.sh/hook: {phases}\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n"
            "      containers: [{name: c, image: registry.example.org/c:1}]\n"
        )

    templates = {
        "cleanup.yaml": job("cleanup", "pre-delete"),
        "patch.yaml": job("patch", "post-install,post-upgrade"),
        "create.yaml": job("create", "pre-install,pre-upgrade"),
    }
    package(make_chart(tmp_path / "hooked", "hooked", templates=templates), tmp_path / "repo")
    index(tmp_path / "repo", chart_repo)
    repo = platform_repo(
        tmp_path / "platform",
        f"  hooked:\n    chart: {{repository: '{chart_repo}', name: hooked, version: 1.0.0}}\n"
        "    namespace: hooked\n    stage: platform-services\n",
    )
    assert run_cli(capsys, "charts", "pull", str(repo)).code == 0
    installed = render_components(platform_of(repo), ChartStore(helm()))
    assert sorted(o.name for o in installed.objects if o.kind == "Job") == ["create", "patch"]


@pytest.mark.tools
def test_a_template_that_writes_without_end_is_stopped_at_the_output_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What helm may write is held by the kernel (RLIMIT_FSIZE on its output files), not only how
    long it may take: a template that loops is stopped, with a message that says so."""
    from dockyard.charts import helm as helm_module
    from dockyard.charts.helm import HelmFailed

    loop = "{{- range until 200000 }}\n# {{ . }} a line of a template that loops, and loops, and loops\n{{- end }}\n"
    chart = make_chart(tmp_path, "looping", templates={"loop.yaml": loop})
    runner = helm()
    assert len(runner.run(["template", "x", str(chart)])) > 2**20 * 10  # 13 MiB with the limit as it is
    monkeypatch.setattr(helm_module, "MAX_OUTPUT", 2**20)
    with pytest.raises(HelmFailed) as stopped:
        runner.run(["template", "x", str(chart)])
    assert str(stopped.value) == "helm template wrote more than 1 MiB; a template may loop"


@pytest.mark.tools
def test_a_template_that_builds_a_huge_value_is_stopped_at_the_memory_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """helm's memory is held by the kernel too (RLIMIT_DATA): a template that doubles a string 22
    times (64 MiB, writing only its length) needs far more than the limit the test sets."""
    from dockyard.charts import helm as helm_module
    from dockyard.charts.helm import HelmFailed

    doubling = (
        '{{- $s := "xxxxxxxxxxxxxxxx" }}{{- range until 22 }}{{ $s = printf "%s%s" $s $s }}{{ end }}\n# {{ len $s }}\n'
    )
    chart = make_chart(tmp_path, "doubling", templates={"big.yaml": doubling})
    runner = helm()
    assert "# 67108864" in runner.run(["template", "x", str(chart)])  # within the limit as it is
    monkeypatch.setattr(helm_module, "MAX_MEMORY", 128 * 2**20)
    with pytest.raises(HelmFailed) as stopped:
        runner.run(["template", "x", str(chart)])
    assert str(stopped.value) == "helm template needed more than 128 MiB of memory; a template may build a huge value"
