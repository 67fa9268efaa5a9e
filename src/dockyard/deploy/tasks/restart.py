"""Restart a workload once after another one changed (pods that read auth settings at start).

The target's pod template gets the annotation `dockyard.dev/restarted-for`: the `when` object's
uid and generation. The same value means it already restarted for that change: nothing happens.
A target that does not exist yet needs no restart (it starts with the new settings).
"""

from __future__ import annotations

from dockyard.deploy.tasks.common import TaskContext, succeeded
from dockyard.render.bundle import TaskRequest
from dockyard.render.task_data import ObjectRef, Restart

ANNOTATION = "dockyard.dev/restarted-for"
API_VERSIONS = {"Deployment": "apps/v1", "StatefulSet": "apps/v1", "DaemonSet": "apps/v1"}


def _ref(spec: ObjectRef) -> dict[str, object]:
    return {
        "apiVersion": API_VERSIONS[spec["kind"]],
        "kind": spec["kind"],
        "metadata": {"name": spec["name"], "namespace": spec["namespace"]},
    }


def restart(request: TaskRequest, context: TaskContext) -> str:
    data = request.payload(Restart)
    target, when = data["target"], data["when"]
    trigger = context.connection.get(_ref(when))
    if trigger is None:
        return f"{when['kind']} {when['namespace']}/{when['name']} does not exist: nothing to restart for"
    stamp = f"{trigger['metadata']['uid']}/{trigger['metadata'].get('generation', 0)}"
    live = context.connection.get(_ref(target))
    where = f"{target['kind']} {target['namespace']}/{target['name']}"
    if live is None:
        return f"{where} does not exist yet: it starts with the new settings"
    annotations = live["spec"]["template"]["metadata"].get("annotations") or {}
    if annotations.get(ANNOTATION) == stamp:
        return f"{where} already restarted for this change"
    patch = {"spec": {"template": {"metadata": {"annotations": {ANNOTATION: stamp}}}}}
    succeeded(context.connection.merge_patch(_ref(target), patch), f"cannot restart {where}")
    return f"{where} restarted"
