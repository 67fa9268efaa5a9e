"""The console beside the real API server: a service added in the browser is committed, planned
against the cluster from its page, applied, and then shown running in the catalog."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from lightkube.resources.apps_v1 import Deployment
from lightkube.resources.core_v1 import Pod
from playwright.sync_api import expect

from dockyard.console.app import create_app
from dockyard.console.form import current_fields
from dockyard.console.serving import in_thread
from dockyard.console.state import Console, files_digest
from dockyard.console.web import Settings
from dockyard.localcluster import control_plane, readiness
from tests.cluster.commands import dockyard, platform_name
from tests.helpers import git
from tests.unit.console.conftest import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def served(origin: Path, local_cluster: control_plane.Running) -> Iterator[str]:
    console = Console(
        origin,
        "local",
        recheck=0.0,
        kubeconfig=Path(local_cluster.kubeconfig),
        context=local_cluster.context,
        live_every=0.5,
    )
    with in_thread(create_app(console, Settings(dev_login=True, secure_cookies=False))) as url:
        yield url


def test_added_in_the_browser_then_applied_and_shown_running(
    served: str, origin: Path, local_cluster: control_plane.Running, page: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    team = platform_name(origin)
    page.goto(f"{served}/login")
    page.fill("input[name=name]", "Ada Lovelace")
    page.fill("input[name=email]", "ada@example.com")
    page.fill("input[name=team]", team)
    page.select_option("select[name=role]", "editor")
    page.click("form.card button[type=submit]")
    page.wait_for_url(f"{served}/")
    page.click("text=Add a service")
    page.fill("input[name=name]", "billing")
    page.fill("input[name=image]", "ghcr.io/acme/billing:1.0")
    page.fill("input[name=port]", "8080")
    page.fill("input[name=health_path]", "/healthz")
    page.wait_for_selector("#checks:has-text('The pipeline finds nothing wrong')")
    page.click("text=Plan this change against the cluster")  # before anything is committed
    page.wait_for_selector("#draft-plan li")
    assert f"create Deployment.apps {team}/billing" in " ".join(page.text_content("#draft-plan").split())
    assert git(origin, "status", "--porcelain").strip() == ""  # the plan wrote nothing
    page.click("button.primary")
    page.wait_for_url(f"{served}/services/billing?committed=*")
    assert git(origin, "log", "-1", "--format=%an").strip() == "Ada Lovelace"

    page.click("text=Plan against the cluster")  # nothing applied yet: everything of the service is new
    page.wait_for_selector("#plan li")
    assert "create" in page.text_content("#plan")
    assert f"Deployment.apps {team}/billing" in page.text_content("#plan")

    applied = dockyard(capsys, local_cluster, "apply", str(origin), "-c", "local", "--yes")
    assert applied.code == 0, applied.err
    page.goto(f"{served}/")
    status = page.locator("table.catalog tbody tr", has_text="billing").locator("td").last
    expect(status).to_have_text("running", timeout=30_000)  # the rows refresh every 10 s, the reading every 0.5 s
    page.goto(f"{served}/services/billing")
    assert "running: 1 of 1 pods ready" in page.text_content("dl.facts")

    api = readiness.client(local_cluster.kubeconfig)  # someone changes it by hand: the catalog says so
    api.patch(Deployment, "billing", {"metadata": {"labels": {"changed-by": "hand"}}}, namespace=team)
    page.goto(f"{served}/")
    expect(page.locator("table.catalog tbody tr", has_text="billing")).to_contain_text(
        "running (drifted)", timeout=30_000
    )


def test_a_job_is_run_to_completion_from_the_console_listed_cancelled_and_kept_to_its_team(
    served: str, origin: Path, local_cluster: control_plane.Running, page: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    team = platform_name(origin)
    (origin / "services/nightly").mkdir()
    (origin / "services/nightly/score.yaml").write_text(
        "apiVersion: score.dev/v1b1\nmetadata:\n  name: nightly\ncontainers:\n  main:\n"
        "    image: registry.example.org/connector:2.0\n    args: [--since, 24h]\n"
    )
    (origin / "services/nightly/dockyard.yaml").write_text(
        "apiVersion: dockyard.dev/v1alpha1\nkind: ServiceSettings\njob:\n  retries: 0\n  keep: {succeeded: 2}\n"
    )
    git(origin, "add", "-A")
    git(origin, "commit", "-qm", "a job that runs when started")
    applied = dockyard(capsys, local_cluster, "apply", str(origin), "-c", "local", "--yes")
    assert applied.code == 0, applied.err

    page.goto(f"{served}/login")
    for field, value in (("name", "Ada Lovelace"), ("email", "ada@example.com"), ("team", team)):
        page.fill(f"input[name={field}]", value)
    page.select_option("select[name=role]", "editor")
    page.click("form.card button[type=submit]")
    page.goto(f"{served}/jobs")
    job = page.locator("#job-nightly")
    expect(job).to_contain_text("runs when started · no run yet", timeout=15_000)
    job.locator("button:has-text('Run now')").click()
    page.wait_for_url(f"{served}/jobs?started=nightly-run-*")
    run = page.url.split("started=")[1]
    expect(page.locator("#job-nightly")).to_contain_text(run)
    row = page.locator("#job-nightly tr", has_text=run)
    expect(row).to_contain_text("succeeded", timeout=60_000)  # run to completion; the page refreshes every 5 s
    assert f"{run}" in page.text_content("#job-nightly") and "Ada Lovelace <ada@example.com>" in page.text_content(
        "#job-nightly"
    )
    page.goto(f"{served}/jobs/nightly/runs/{run}/logs")
    assert page.locator("h1").text_content().startswith(f"Logs of {run}")

    api = page.request
    csrf = page.get_attribute("input[name=csrf]", "value")
    listed = api.get(f"{served}/api/jobs").json()["jobs"]
    assert [j["name"] for j in listed] == ["nightly"] and listed[0]["runs"][0]["name"] == run
    second = api.post(f"{served}/api/jobs/nightly/runs", headers={"X-CSRF-Token": csrf}).json()["run"]
    pods = readiness.client(local_cluster.kubeconfig)
    deadline = time.monotonic() + 30
    while not list(pods.list(Pod, namespace=team, labels={"job-name": second})):
        assert time.monotonic() < deadline, "the run made no pod"
        time.sleep(0.2)
    cancelled = api.post(f"{served}/api/jobs/nightly/runs/{second}/cancel", headers={"X-CSRF-Token": csrf})
    assert cancelled.status == 200, cancelled.text()
    while list(pods.list(Pod, namespace=team, labels={"job-name": second})):  # its pods go with it
        assert time.monotonic() < deadline + 30, "the cancelled run's pods are still there"
        time.sleep(0.2)
    refused = api.post(f"{served}/api/jobs/api/runs", headers={"X-CSRF-Token": csrf})
    assert (refused.status, refused.json()) == (404, {"error": "`api` is a service, not a job"})
    foreign = api.post(f"{served}/api/jobs/nightly/runs/{run}-x/cancel", headers={"X-CSRF-Token": csrf})
    assert foreign.status == 404 and foreign.json()["error"] == f"job nightly has no run {run}-x"

    page.goto(f"{served}/login")  # another team's editor may see the job, not run it
    for field, value in (("name", "Eve"), ("email", "eve@example.com"), ("team", "other")):
        page.fill(f"input[name={field}]", value)
    page.select_option("select[name=role]", "editor")
    page.click("form.card button[type=submit]")
    page.goto(f"{served}/jobs")
    assert page.locator("#job-nightly button:has-text('Run now')").count() == 0
    csrf = page.get_attribute("input[name=csrf]", "value")
    denied = page.request.post(f"{served}/api/jobs/nightly/runs", headers={"X-CSRF-Token": csrf})
    assert denied.status == 403


def test_a_draft_is_planned_against_the_cluster_before_it_is_committed(
    origin: Path, local_cluster: control_plane.Running, capsys: pytest.CaptureFixture[str]
) -> None:
    """The plan of a change made in the form: what it would change on the cluster once committed,
    the same diff `dockyard plan` shows, with nothing written to the repo or to the cluster."""
    team = platform_name(origin)
    assert dockyard(capsys, local_cluster, "apply", str(origin), "-c", "local", "--yes").code == 0
    api = readiness.client(local_cluster.kubeconfig)
    image = api.get(Deployment, "api", namespace=team).spec.template.spec.containers[0].image
    console = Console(
        origin, "local", recheck=0.0, kubeconfig=Path(local_cluster.kubeconfig), context=local_cluster.context
    )
    client = sign_in(
        TestClient(create_app(console, Settings(dev_login=True, secure_cookies=False)), "http://127.0.0.1")
    )
    files = console.files_of("api")
    fields = {
        **current_fields("api", files),
        "team": team,
        "base": files_digest(files),
        "image": "ghcr.io/acme/api:2.0",
    }
    answer = client.post("/api/drafts/plan", json=fields)
    assert answer.status_code == 200, answer.text
    planned = answer.json()
    changed = [(c["action"], c["object"]) for c in planned["changes"] if c["action"] != "unchanged"]
    assert changed == [("configure", f"Deployment.apps {team}/api")]
    assert "ghcr.io/acme/api:2.0" in next(c["diff"] for c in planned["changes"] if c["action"] != "unchanged")
    assert git(origin, "status", "--porcelain").strip() == ""
    assert api.get(Deployment, "api", namespace=team).spec.template.spec.containers[0].image == image


def test_a_services_other_objects_changed_or_removed_by_hand_are_drift(
    origin: Path, local_cluster: control_plane.Running, capsys: pytest.CaptureFixture[str]
) -> None:
    """Not only the workload: a Service changed and a NetworkPolicy removed by hand are the service's
    drift, each named; a change to the team's namespace objects is no one service's."""
    from lightkube.resources.core_v1 import Service
    from lightkube.resources.networking_v1 import NetworkPolicy

    team = platform_name(origin)
    assert dockyard(capsys, local_cluster, "apply", str(origin), "-c", "local", "--yes").code == 0
    console = Console(
        origin, "local", recheck=0.0, kubeconfig=Path(local_cluster.kubeconfig), context=local_cluster.context
    )
    client = sign_in(
        TestClient(create_app(console, Settings(dev_login=True, secure_cookies=False)), "http://127.0.0.1")
    )

    def drift() -> dict[str, list[str]]:
        console.live.refresh()
        return {s["name"]: s["drift"] for s in client.get("/api/services").json()["services"]}

    assert drift() == {"api": [], "client": []}
    api = readiness.client(local_cluster.kubeconfig)
    api.patch(Service, "api", {"metadata": {"labels": {"changed-by": "hand"}}}, namespace=team)
    api.delete(NetworkPolicy, "client", namespace=team)
    api.patch(NetworkPolicy, "default-deny", {"metadata": {"labels": {"changed-by": "hand"}}}, namespace=team)
    assert drift() == {
        "api": [f"Service {team}/api changed"],
        "client": [f"NetworkPolicy.networking.k8s.io {team}/client removed"],
    }
    page = client.get("/services/client").text
    assert f"NetworkPolicy.networking.k8s.io {team}/client removed since the last apply" in page
