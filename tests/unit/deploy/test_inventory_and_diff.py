from __future__ import annotations

import pytest

from dockyard.deploy.diff import normalize, unchanged, unified
from dockyard.deploy.inventory import PruneRefused, plan_prune
from dockyard.render.object_id import ObjectId


def ids(count: int, kind: str = "ConfigMap") -> list[ObjectId]:
    return [ObjectId("", kind, "shop", f"{kind.lower()}-{i}") for i in range(count)]


def test_object_ids_round_trip_and_read_well() -> None:
    deployment = ObjectId.of(
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"}}
    )
    assert deployment == ObjectId("apps", "Deployment", "shop", "web")
    assert ObjectId.decode(deployment.encode()) == deployment
    assert str(deployment) == "Deployment.apps shop/web"
    assert str(ObjectId.of({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}})) == "Namespace shop"


def test_prune_is_previous_minus_current() -> None:
    previous = ids(10)
    assert plan_prune(previous, previous[:8]).delete == tuple(sorted(previous[8:]))
    assert plan_prune(previous, previous).delete == ()


def test_never_prune_when_the_render_is_empty() -> None:
    with pytest.raises(PruneRefused) as refused:
        plan_prune(ids(3), [])
    assert str(refused.value).startswith("the render is empty; refusing to prune all 3 objects")


def test_mass_prune_needs_to_be_asked_for() -> None:
    previous = ids(40)
    assert len(plan_prune(previous, previous[:32]).delete) == 8  # 20 % of 40
    with pytest.raises(PruneRefused) as refused:
        plan_prune(previous, previous[:31])
    assert str(refused.value) == (
        "refusing to prune 9 of 40 objects (more than 8); check the render, then rerun with --allow-mass-prune "
        "if this is intended"
    )
    assert len(plan_prune(previous, previous[:31], allow_mass_prune=True).delete) == 9
    assert len(plan_prune(ids(6), ids(6)[:1]).delete) == 5  # small inventories may lose up to 5


def test_namespaces_claims_and_crds_are_kept_unless_allowed() -> None:
    protected = [
        ObjectId("", "Namespace", "", "old"),
        ObjectId("", "PersistentVolumeClaim", "shop", "data"),
        ObjectId("apiextensions.k8s.io", "CustomResourceDefinition", "", "x.example.org"),
    ]
    keep = ids(20)
    plan = plan_prune(keep + protected, keep)
    assert (plan.delete, sorted(plan.kept)) == ((), sorted(protected))
    allowed = plan_prune(keep + protected, keep, allow_kinds=["PersistentVolumeClaim"])
    assert allowed.delete == (protected[1],)


def test_normalisation_drops_what_the_server_owns() -> None:
    live = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "status": {},
        "metadata": {
            "name": "a",
            "uid": "1",
            "resourceVersion": "7",
            "managedFields": [{}],
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"},
        },
        "data": {"k": "v"},
    }
    assert normalize(live) == {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "data": {"k": "v"}}
    assert unchanged(live, {**live, "metadata": {"name": "a", "resourceVersion": "8"}})


def test_secret_values_never_appear_in_a_diff() -> None:
    canary = "Y2FuYXJ5LXNlY3JldC12YWx1ZQ=="  # base64 of a canary value
    live = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"a": canary, "b": "eA=="}}
    desired = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "s"},
        "data": {"a": canary, "b": "eQ=="},
        "stringData": {"c": "canary-secret-value"},
    }
    text = unified(live, desired, "Secret/s")
    assert canary not in text and "canary-secret-value" not in text and "eQ==" not in text
    assert "+  b: '<secret: changed>'" in text
    assert "a: <secret>" in text


def test_webhook_configurations_follow_the_stage_that_runs_their_backend() -> None:
    """A webhook that took effect before its Service answers would refuse every object it sees."""
    from dockyard.deploy.apply import GROUPS, group_of
    from dockyard.render.bundle import Rendered, Source

    def rendered(kind: str, stage: str, namespace: str | None) -> Rendered:
        metadata = {"name": "x", **({"namespace": namespace} if namespace else {})}
        return Rendered({"apiVersion": "v1", "kind": kind, "metadata": metadata}, stage, Source("x"))

    order = [group.title for group in GROUPS]
    operator = group_of(rendered("Deployment", "platform-services", "cnpg-system"))
    webhook = group_of(rendered("ValidatingWebhookConfiguration", "platform-services", None))
    role = group_of(rendered("ClusterRole", "platform-services", None))
    assert order.index(role.title) < order.index(operator.title) < order.index(webhook.title)
    assert order.index(webhook.title) < order.index("stage namespaces")
    assert (webhook.rank, webhook.title, webhook.point) == (10, "webhooks of platform-services", None)
    assert operator.point == "platform-services"  # the tasks of that point run after this group


def test_chart_hooks_run_as_helm_runs_them_on_install_and_upgrade() -> None:
    """A post-install hook often patches a webhook configuration (kube-prometheus-stack's certificate
    job does): it runs after its stage and its webhooks. A hook of other phases never runs on apply."""
    from dockyard.deploy.apply import GROUPS, group_of
    from dockyard.render import hooks
    from dockyard.render.bundle import Rendered, Source

    def job(phases: str) -> Rendered:
        metadata = {"name": "x", "namespace": "m", "annotations": {"helm.sh/hook": phases}}
        return Rendered(
            {"apiVersion": "batch/v1", "kind": "Job", "metadata": metadata}, "platform-services", Source("x")
        )

    order = [group.title for group in GROUPS]
    assert group_of(job("post-install,post-upgrade")).title == "hooks after platform-services"
    assert order.index("webhooks of platform-services") < order.index("hooks after platform-services")
    assert order.index("hooks after platform-services") < order.index("stage services")
    assert group_of(job("pre-install,pre-upgrade")).title == "stage platform-services"
    assert group_of(job("pre-install,post-install")).title == "stage platform-services"
    assert [
        hooks.installed(job(p).manifest)
        for p in ("post-install", "pre-upgrade", "pre-delete", "test", "post-delete,post-rollback")
    ] == [True, True, False, False, False]


def test_every_task_point_is_reached_by_one_group() -> None:
    """Tasks are bound to stages, not to the groups' display titles: each point a task kind runs at
    is the point of exactly one apply group (rewording a title cannot stop a task running)."""
    from dockyard.deploy.apply import GROUPS
    from dockyard.deploy.tasks import KINDS

    points = [group.point for group in GROUPS if group.point is not None]
    assert len(points) == len(set(points))
    assert {kind.point for kind in KINDS.values()} <= set(points)
