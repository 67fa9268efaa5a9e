"""The runs of jobs (workloads with `job:` settings, rendered as CronJobs): read from the cluster,
started, cancelled and their logs. Starting a run is the one write the console makes to a cluster,
and it changes no configuration: it makes a Job from the CronJob's own template, as
`kubectl create job --from=cronjob/NAME` does; the CronJob's history limits and the runs' time to
live clean old runs up."""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dockyard.console.auth import Person
from dockyard.deploy.client import Connection, ConnectionFailed, ObjectError
from dockyard.errors import DockyardError
from dockyard.render.labels import SELECTOR_KEYS

STARTED_BY = "dockyard.dev/started-by"


class RunRefused(DockyardError):
    """A run cannot be started, cancelled or read (the job is not deployed, the cluster refused)."""


class RunMissing(RunRefused):
    """No such run of the job."""


@dataclass(frozen=True)
class Run:
    name: str
    state: str
    """running, succeeded or failed."""
    started: str | None
    finished: str | None
    seconds: float | None
    started_by: str
    """A person's name for runs started from the console, else `schedule`."""


def runs_by_service(jobs: Mapping[str, Mapping[str, Any]], namespace: str) -> dict[str, list[Run]]:
    """`<namespace>/<service>` -> its runs, newest first, from the namespace's Jobs."""
    found: dict[str, list[Run]] = {}
    for name, job in jobs.items():
        labels = (job.get("metadata") or {}).get("labels") or {}
        service = labels.get(SELECTOR_KEYS[0])
        if service:
            found.setdefault(f"{namespace}/{service}", []).append(_run(name, job))
    for runs in found.values():
        runs.sort(key=lambda r: (r.started or "", r.name), reverse=True)
    return found


def _run(name: str, job: Mapping[str, Any]) -> Run:
    status = job.get("status") or {}
    conditions = {c.get("type"): c.get("status") for c in status.get("conditions") or []}
    if conditions.get("Complete") == "True":
        state = "succeeded"
    elif conditions.get("Failed") == "True":
        state = "failed"
    else:
        state = "running"
    started, finished = status.get("startTime"), status.get("completionTime")
    seconds = None
    if started and finished:
        seconds = (_time(finished) - _time(started)).total_seconds()
    annotations = (job.get("metadata") or {}).get("annotations") or {}
    return Run(name, state, started, finished, seconds, str(annotations.get(STARTED_BY) or "schedule"))


def _time(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def start(connection: Connection, namespace: str, name: str, person: Person) -> str:
    """Start a run of job `name` now; the new Job's name."""
    cron = connection.get(
        {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": name, "namespace": namespace}}
    )
    if cron is None:
        raise RunRefused(f"job {name} is not on the cluster yet; apply (or sync) the repo first")
    template = cron["spec"]["jobTemplate"]
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%d%H%M%S")
    run_name = f"{name[:36]}-run-{stamp}-{secrets.token_hex(2)}"  # two starts in one second differ
    manifest = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": run_name,
            "namespace": namespace,
            "labels": dict((template.get("metadata") or {}).get("labels") or {}),
            "annotations": {
                "cronjob.kubernetes.io/instantiate": "manual",
                STARTED_BY: f"{person.name} <{person.email}>",
            },
            "ownerReferences": [
                {
                    "apiVersion": "batch/v1",
                    "kind": "CronJob",
                    "name": name,
                    "uid": cron["metadata"]["uid"],
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": template["spec"],
    }
    made = connection.create(manifest, field_manager="dockyard-console")
    if isinstance(made, ObjectError):
        raise RunRefused(f"the cluster refused to start job {name}: {made.message}")
    return run_name


def cancel(connection: Connection, namespace: str, name: str, run: str) -> None:
    """Stop a run (its pods are deleted with it)."""
    job = _owned_run(connection, namespace, name, run)
    failed = connection.delete(job, with_dependents=True)
    if failed is not None:
        raise RunRefused(f"the cluster refused to cancel run {run}: {failed.message}")


def logs(connection: Connection, namespace: str, name: str, run: str) -> list[tuple[str, str]]:
    """(pod, its last lines) for each pod of the run."""
    _owned_run(connection, namespace, name, run)
    pods = connection.list("v1", "Pod", namespace)
    found = []
    for pod_name, pod in sorted(pods.items()):
        if ((pod.get("metadata") or {}).get("labels") or {}).get("job-name") != run:
            continue
        try:
            found.append((pod_name, connection.pod_log(namespace, pod_name)))
        except ConnectionFailed as error:
            found.append((pod_name, f"(no log: {error})"))
    return found


def _owned_run(connection: Connection, namespace: str, name: str, run: str) -> dict[str, Any]:
    """The Job `run`, only if it is a run of job `name` (never any other Job of the namespace)."""
    job = connection.get({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": run, "namespace": namespace}})
    labels = ((job or {}).get("metadata") or {}).get("labels") or {}
    if job is None or labels.get(SELECTOR_KEYS[0]) != name:
        raise RunMissing(f"job {name} has no run {run}")
    return job
