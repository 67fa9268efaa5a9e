"""No duplicate names where Kubernetes keys a list by name: containers in a pod, variables and
ports in a container, volumes in a pod, mount paths in a container. Server-side apply refuses
duplicate list keys, and a duplicate variable would silently win or lose."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator

from dockyard.check.findings import Finding
from dockyard.check.wiring.facts import Facts, Pod
from dockyard.render.object_id import ObjectId

RULE = "wiring-duplicate"


def check_duplicates(facts: Facts) -> list[Finding]:
    findings = []
    for pod in facts.pods:
        for path, kind, names in _lists(pod):
            named = [str(n) for n in names if n is not None]
            if len(set(named)) == len(named):
                continue
            counted = Counter(named)
            for name, count in sorted(counted.items()):
                if count > 1:
                    where, what = pod.owner.source.position, str(ObjectId.of(pod.owner.manifest))
                    findings.append(Finding(where, what, path, RULE, f"{kind} `{name}` appears {count} times"))
    return findings


def _lists(pod: Pod) -> Iterator[tuple[str, str, Iterable[object]]]:
    yield f"{pod.path}.containers", "container", (c.get("name") for c in pod.containers)
    yield f"{pod.path}.volumes", "volume", (v.get("name") for v in pod.spec.get("volumes") or [])
    for field in ("initContainers", "containers"):
        for index, container in enumerate(pod.spec.get(field) or []):
            path = f"{pod.path}.{field}[{index}]"
            yield f"{path}.env", "variable", (e.get("name") for e in container.get("env") or [])
            ports = container.get("ports") or []
            yield f"{path}.ports", "port", (f"{p.get('containerPort')}/{p.get('protocol', 'TCP')}" for p in ports)
            yield (
                f"{path}.volumeMounts",
                "mount path",
                (m.get("mountPath") for m in container.get("volumeMounts") or []),
            )
