"""One passing and one failing object per policy rule, with the exact finding."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from dockyard.check.policy import check_policies, library
from dockyard.render.bundle import Bundle, Rendered, Source
from tests.unit.check.objects import CONTAINER, DEPLOYMENT, LABELS

NAMESPACE = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n", "labels": LABELS}}
DENY = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "NetworkPolicy",
    "metadata": {"name": "default-deny", "namespace": "n", "labels": LABELS},
    "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
}
SERVICE = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {"name": "web", "namespace": "n", "labels": LABELS},
    "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]},
}


def route(name: str, host: str) -> dict[str, Any]:
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": name, "namespace": "n", "labels": LABELS},
        "spec": {"hostnames": [host]},
    }


def findings(*manifests: dict[str, Any], require_digest: bool = False) -> list[str]:
    bundle = Bundle.of(Rendered(copy.deepcopy(m), "services", Source("services/web/score.yaml")) for m in manifests)
    return [
        f"{f.rule}: {f.object}: {f.path}: {f.message}" for f in check_policies(bundle, require_digest=require_digest)
    ]


def with_container(**changes: Any) -> dict[str, Any]:
    deployment = copy.deepcopy(DEPLOYMENT)
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    for key, value in changes.items():
        if value is None:
            container.pop(key)
        else:
            container[key] = value
    return deployment


def with_pod(**changes: Any) -> dict[str, Any]:
    deployment = copy.deepcopy(DEPLOYMENT)
    deployment["spec"]["template"]["spec"].update(changes)
    return deployment


GOOD = (NAMESPACE, DENY, DEPLOYMENT, SERVICE, route("a", "a.example.org"), route("b", "b.example.org"))


def test_a_good_platform_has_no_findings() -> None:
    assert findings(*GOOD) == []


C = "Deployment.apps n/web: spec.template.spec.containers[0]"


@pytest.mark.parametrize(
    ("bad", "expected"),
    [
        (
            with_container(resources={"requests": {"cpu": "1"}}),
            [
                f"resources: {C}.resources.limits.memory: container web sets no limits.memory",
                f"resources: {C}.resources.requests.memory: container web sets no requests.memory",
            ],
        ),
        (with_container(readinessProbe=None), [f"probes: {C}: container web has no readiness or liveness probe"]),
        (
            with_container(image="registry.example.org/web:latest"),
            [f"images: {C}.image: image registry.example.org/web:latest is not pinned to a version"],
        ),
        (
            with_container(image="registry.example.org:5000/web"),
            [f"images: {C}.image: image registry.example.org:5000/web is not pinned to a version"],
        ),
        (
            with_container(securityContext={"readOnlyRootFilesystem": True, "allowPrivilegeEscalation": False}),
            [f"security: {C}.securityContext.runAsNonRoot: container web may run as root"],
        ),
        (
            with_container(securityContext={**CONTAINER["securityContext"], "privileged": True}),
            [f"security: {C}.securityContext.privileged: container web is privileged"],
        ),
        (
            with_container(securityContext={"runAsNonRoot": True, "allowPrivilegeEscalation": False}),
            [f"security: {C}.securityContext.readOnlyRootFilesystem: container web can write to its root filesystem"],
        ),
        (
            with_container(securityContext={"runAsNonRoot": True, "readOnlyRootFilesystem": True}),
            [f"security: {C}.securityContext.allowPrivilegeEscalation: container web may escalate privileges"],
        ),
        (
            with_pod(hostNetwork=True),
            [
                "security: Deployment.apps n/web: spec.template.spec.hostNetwork: "
                "the pod shares the host's Network namespace"
            ],
        ),
        (
            with_pod(volumes=[{"name": "root", "hostPath": {"path": "/"}}]),
            [
                "security: Deployment.apps n/web: spec.template.spec.volumes[0].hostPath: "
                "volume root mounts a path of the host"
            ],
        ),
    ],
)
def test_each_rule_finds_its_mistake(bad: dict[str, Any], expected: list[str]) -> None:
    others = [m for m in GOOD if m is not DEPLOYMENT]
    assert findings(*others, bad) == expected


def test_digests_are_required_only_where_asked() -> None:
    assert findings(*GOOD, require_digest=True) == [
        f"images: {C}.image: image registry.example.org/web:1.0 is not pinned by digest "
        "(this environment requires digests)"
    ]
    pinned = with_container(image="registry.example.org/web@sha256:" + "a" * 64)
    assert findings(*[m for m in GOOD if m is not DEPLOYMENT], pinned, require_digest=True) == []


def test_platform_rules() -> None:
    unlabelled = copy.deepcopy(SERVICE)
    del unlabelled["metadata"]["labels"]["app.kubernetes.io/part-of"]
    assert findings(NAMESPACE, DENY, DEPLOYMENT, unlabelled) == [
        "platform: Service n/web: metadata.labels.app.kubernetes.io/part-of: label app.kubernetes.io/part-of is missing"
    ]
    assert findings(NAMESPACE, DEPLOYMENT, SERVICE) == [
        "platform: Namespace n: : the namespace has no default-deny NetworkPolicy"
    ]
    lonely = copy.deepcopy(SERVICE)
    lonely["spec"]["selector"] = {"app": "nothing"}
    assert findings(NAMESPACE, DENY, DEPLOYMENT, lonely) == [
        "platform: Service n/web: spec.selector: the Service selects no workload of the render"
    ]
    assert findings(*GOOD, route("c", "a.example.org")) == [
        "platform: HTTPRoute.gateway.networking.k8s.io n/c: spec.hostnames: host a.example.org is also routed by "
        "HTTPRoute.gateway.networking.k8s.io n/a"
    ]
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "s", "namespace": "n", "labels": LABELS},
        "stringData": {"token": "x"},
    }
    assert findings(*GOOD, secret) == [
        "platform: Secret n/s: stringData: a Secret with literal data is rendered; secret values must not pass "
        "through the platform repo"
    ]


def test_every_rule_file_is_documented() -> None:
    for name, source in library():
        assert source.startswith("# "), f"{name}.rego needs a comment saying why the rule exists"


@pytest.mark.parametrize("cluster", ["local", "prod-eu"])
def test_the_example_platform_passes_every_policy(cluster: str) -> None:
    from dockyard.load.layers import effective
    from dockyard.load.repo import load
    from dockyard.model.platform import build_platform
    from dockyard.render.services import render
    from tests.helpers import EXAMPLES

    repo = load(EXAMPLES / "shop")
    assert check_policies(render(build_platform(repo, effective(repo, cluster)))) == []


def _evaluated(manifests: tuple[dict[str, Any], ...], one_at_a_time: bool) -> list[tuple[str, Any]]:
    from dockyard.check.policy import _evaluate, _json_bytes, _object, with_relations

    bundle = Bundle.of(Rendered(copy.deepcopy(m), "services", Source("services/web/score.yaml")) for m in manifests)
    texts = [_json_bytes(e) for e in with_relations([_object(r) for r in bundle.objects])]
    if not one_at_a_time:
        return sorted(_evaluate(library(), texts, True, {}), key=repr)
    return sorted((item for text in texts for item in _evaluate(library(), [text], True, {})), key=repr)


NO_DENY = tuple(m for m in GOOD if m is not DENY)
LONELY = (*GOOD[:3], {**SERVICE, "spec": {"selector": {"app": "nothing"}}})
CASES = [
    GOOD,
    NO_DENY,
    LONELY,
    (*GOOD, route("c", "a.example.org")),
    (*[m for m in NO_DENY if m is not DEPLOYMENT], with_pod(hostNetwork=True)),
]


@pytest.mark.parametrize("manifests", CASES)
def test_every_built_in_rule_judges_one_object_at_a_time(manifests: tuple[dict[str, Any], ...]) -> None:
    """What makes a remembered verdict sound (check/remembered.py): each object's findings, with its
    facts, are the same alone as among all the others. A rule that compares objects in Rego breaks this."""
    whole = _evaluated(manifests, one_at_a_time=False)
    assert whole == _evaluated(manifests, one_at_a_time=True)
    if manifests is not GOOD:
        assert whole  # each case has a finding to compare


def test_a_remembered_verdict_is_the_verdict_and_a_changed_fact_is_judged_again(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dockyard.check import remembered
    from dockyard.load.parsed import flush_cache_writes

    monkeypatch.setenv("DOCKYARD_PARSE_CACHE", str(tmp_path / "cache"))
    remembered.forget()
    bundle = Bundle.of(Rendered(copy.deepcopy(m), "services", Source("services/web/score.yaml")) for m in GOOD)
    without_deny = Bundle(tuple(r for r in bundle.objects if r.kind != "NetworkPolicy"))
    for _ in range(2):  # judged, then remembered (in memory), then from the parse cache
        assert check_policies(bundle) == check_policies(bundle, remember=False) == []
        missing = check_policies(without_deny)  # the Namespace itself did not change, its fact did
        assert [f.message for f in missing] == ["the namespace has no default-deny NetworkPolicy"]
        assert missing == check_policies(without_deny, remember=False)
        assert check_policies(bundle, require_digest=True) == check_policies(
            bundle, require_digest=True, remember=False
        )
        assert check_policies(bundle, require_digest=True) != []
        flush_cache_writes()  # the next round reads them from the disk
        remembered.forget()
    flush_cache_writes()
    assert list((tmp_path / "cache" / "packs").glob("*.index"))  # kept across commands


@pytest.mark.parametrize("cluster", ["local", "prod-eu"])
def test_a_remembered_verdict_is_the_verdict_on_the_example(cluster: str) -> None:
    from dockyard.load.layers import effective
    from dockyard.load.repo import load
    from dockyard.model.platform import build_platform
    from dockyard.render.services import render
    from tests.helpers import EXAMPLES

    repo = load(EXAMPLES / "shop")
    bundle = render(build_platform(repo, effective(repo, cluster)))
    for require_digest in (False, True):
        judged = check_policies(bundle, require_digest=require_digest, remember=False)
        assert check_policies(bundle, require_digest=require_digest) == judged
        assert check_policies(bundle, require_digest=require_digest) == judged


def test_two_objects_under_one_id_are_not_remembered_for_each_other(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dockyard.check import remembered

    monkeypatch.setenv("DOCKYARD_PARSE_CACHE", str(tmp_path / "cache"))
    remembered.forget()
    good = copy.deepcopy(DEPLOYMENT)
    bad = with_container(securityContext={})
    bad["apiVersion"] = "apps/v1beta2"  # the same id: kind, namespace and name
    both = Bundle.of(Rendered(copy.deepcopy(m), "services", Source("services/web/score.yaml")) for m in (good, bad))
    assert check_policies(both) == check_policies(both, remember=False) != []
    alone = Bundle.of([Rendered(copy.deepcopy(good), "services", Source("services/web/score.yaml"))])
    assert check_policies(alone) == check_policies(alone, remember=False) == []


def test_a_repo_policy_may_read_what_a_built_in_one_defines() -> None:
    repo_rule = """package dockyard.policies.label_count

import rego.v1

deny contains finding if {
	some object in input.objects
	object.kind == "Service"
	count(data.dockyard.policies.platform.required_labels) != 2
	finding := {"object": object.id, "message": "the built-in rule is not there"}
}

deny contains finding if {
	some object in input.objects
	object.kind == "Service"
	some label in data.dockyard.policies.platform.required_labels
	label == "app.kubernetes.io/part-of"
	finding := {"object": object.id, "message": "read the built-in rule's labels"}
}
"""
    bundle = Bundle.of(Rendered(copy.deepcopy(m), "services", Source("services/web/score.yaml")) for m in GOOD)
    found = check_policies(bundle, extra={"label-count": repo_rule})
    assert [(f.rule, f.object, f.message) for f in found] == [
        ("label-count", "Service n/web", "read the built-in rule's labels")
    ]


def test_verdicts_judged_in_the_contained_child_are_remembered_by_the_parent(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A repo that brings policies has them judged in a child process within limits; the built-in
    verdicts that child judged come back with its findings, so the next check evaluates nothing."""
    import dataclasses

    from dockyard.check import policy, remembered
    from dockyard.check.run import run_checks
    from dockyard.load.layers import effective
    from dockyard.load.repo import load
    from dockyard.model.platform import build_platform
    from dockyard.render.bundle import TEAM_STAGES
    from dockyard.render.services import render
    from tests.helpers import EXAMPLES

    monkeypatch.setenv("DOCKYARD_PARSE_CACHE", str(tmp_path / "cache"))
    remembered.forget()
    repo = load(EXAMPLES / "shop")
    platform = build_platform(repo, effective(repo, "local"))
    rule = "package dockyard.policies.quiet\n\nimport rego.v1\n\ndeny contains x if {\n\tsome x in []\n}\n"
    platform = dataclasses.replace(platform, policies={"quiet": rule})
    bundle = render(platform)
    run_checks(platform, bundle, each_object_only=True)

    def evaluated(*_args: Any) -> Any:
        raise AssertionError("an object the child judged was evaluated again")

    monkeypatch.setattr(policy, "_evaluate", evaluated)
    teams = Bundle(tuple(o for o in bundle.objects if o.stage in TEAM_STAGES))
    check_policies(teams, require_digest=platform.settings.require_digest)
