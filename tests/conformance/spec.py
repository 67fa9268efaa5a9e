"""What the Score specification requires of a workload's rendering, checked field by field.

Each case in scores/ is a Score file (and the files it names), written for these tests in the
shapes public Score files take. It is put into a copy of the example platform repo as the only
service and rendered; then every field it sets is held to what the specification says it means:

- the workload runs as one pod with a container per `containers` entry, each with its `image`,
  `command` and `args` (placeholders expanded), every variable as an environment variable, every
  file at its `target` with its content and mode, every volume at its `target` (`path`,
  `readOnly`), its `resources` and its probes; a container with `before` starts before the others;
- `metadata.annotations` reach the pods;
- `service.ports` become the workload's Service (`targetPort` defaults to `port`, `protocol` to TCP);
- every resource is provisioned, or refused only because the platform has no provisioner for its
  type, at its `type` line, with how to add one.

Expectations are derived from the Score file alone (Kubernetes' `$(`/`$$` escaping included), never
from Dockyard's render; values that depend on a provisioner are held to being resolved.
"""

from __future__ import annotations

import base64
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from dockyard import actions
from dockyard.errors import InputError
from dockyard.render.services import render as render_services

SCORES = Path(__file__).parent / "scores"
SUPPLIED_IMAGE = "registry.example.org/supplied-at-deploy:1.0.0"
CONFORMS, REFUSED_FAIRLY, REFUSED, WRONG = "conforms", "refused: a type the platform lacks", "refused", "wrong"


@dataclass
class Verdict:
    case: str
    outcome: str
    details: list[str] = field(default_factory=list)


def cases() -> list[str]:
    return sorted(p.name for p in SCORES.iterdir() if (p / "score.yaml").is_file())


def judge(case: str, platform_repo: Path, workdir: Path) -> Verdict:
    """Render `case` as the only service of a copy of `platform_repo` and hold it to the spec."""
    repo = workdir / case
    shutil.copytree(platform_repo, repo)
    shutil.rmtree(repo / "services")
    shutil.copytree(SCORES / case, repo / "services" / case)
    score = yaml.safe_load((SCORES / case / "score.yaml").read_text())
    try:
        platform = actions.platform_for(actions.load_repo(repo), "local", {case: SUPPLIED_IMAGE})
        objects = [r.manifest for r in render_services(platform).objects]
    except InputError as error:
        return _refusal(case, score, [str(p) for p in error.problems])
    details: list[str] = []
    _workload(score, objects, details)
    _service(score, objects, details)
    return Verdict(case, WRONG if details else CONFORMS, details)


def _refusal(case: str, score: dict[str, Any], problems: list[str]) -> Verdict:
    """Fair only when every problem is a resource type without a provisioner, said at its line with the fix."""
    lacking = {rid: r["type"] for rid, r in (score.get("resources") or {}).items()}
    unfair = []
    for problem in problems:
        kind = re.search(r"unknown resource type `([^`]+)`", problem)
        if not (kind and kind.group(1) in lacking.values() and f"provisioners/{kind.group(1)}.yaml" in problem):
            unfair.append(problem)
    return Verdict(case, REFUSED if unfair or not problems else REFUSED_FAIRLY, unfair)


def _find(objects: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any] | None:
    return next((o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name), None)


def _workload(score: dict[str, Any], objects: list[dict[str, Any]], details: list[str]) -> None:
    name = score["metadata"]["name"]
    deployment = _find(objects, "Deployment", name)
    if deployment is None:
        details.append(f"no Deployment {name}")
        return
    template = deployment["spec"]["template"]
    pod = template["spec"]
    for key, value in (score["metadata"].get("annotations") or {}).items():
        if (template["metadata"].get("annotations") or {}).get(key) != value:
            details.append(f"metadata.annotations.{key} is not on the pods")
    written = score["containers"]
    first = [n for n, c in written.items() if c.get("before")]
    expected_main = sorted(n for n in written if n not in first)
    if sorted(c["name"] for c in pod["containers"]) != expected_main:
        details.append(f"containers {sorted(c['name'] for c in pod['containers'])}, expected {expected_main}")
    if sorted(c["name"] for c in pod.get("initContainers") or []) != sorted(first):
        details.append(f"containers started first: {pod.get('initContainers')}, expected {sorted(first)}")
    rendered = {c["name"]: c for c in [*(pod.get("initContainers") or []), *pod["containers"]]}
    config = _find(objects, "ConfigMap", f"{name}-files") or {}
    volumes = {v["name"]: v for v in pod.get("volumes") or []}
    for container_name, container in written.items():
        got = rendered.get(container_name)
        if got is None:
            continue
        where = f"containers.{container_name}"
        _container(score, container, got, config, volumes, where, details)
        for ready in {e["ready"] for e in (container.get("before") or {}).values()}:
            policy = got.get("restartPolicy")
            if (ready == "complete") != (policy is None):
                details.append(f"{where}.before: ready {ready} but restartPolicy {policy}")


def _container(
    score: dict[str, Any],
    container: dict[str, Any],
    got: dict[str, Any],
    config: dict[str, Any],
    volumes: dict[str, dict[str, Any]],
    where: str,
    details: list[str],
) -> None:
    image = SUPPLIED_IMAGE if container["image"] == "." else container["image"]
    if got.get("image") != image:
        details.append(f"{where}.image: {got.get('image')!r}, expected {image!r}")
    for key in ("command", "args"):
        if key in container:
            expected = [_as_kubernetes(score, part) for part in container[key]]
            if not _matches(got.get(key), expected):
                details.append(f"{where}.{key}: {got.get(key)!r}, expected {expected!r}")
    env = {e["name"]: e for e in got.get("env") or []}
    for variable, value in (container.get("variables") or {}).items():
        entry = env.get(variable)
        expected = _as_kubernetes(score, value)
        if entry is None:
            details.append(f"{where}.variables.{variable} is not set")
        elif "valueFrom" in entry:
            if expected is not None and "resources." not in value:
                details.append(f"{where}.variables.{variable} is read from elsewhere, expected {expected!r}")
        elif not _matches(entry.get("value", ""), expected):
            details.append(f"{where}.variables.{variable}: {entry.get('value')!r}, expected {expected!r}")
    mounts = {m["mountPath"]: m for m in got.get("volumeMounts") or []}
    for target, file in _entries(container.get("files")):
        _file(score, file, mounts.get(target), config, volumes, f"{where}.files[{target}]", details)
    for target, volume in _entries(container.get("volumes")):
        mount = mounts.get(target)
        if mount is None:
            details.append(f"{where}.volumes[{target}] is not mounted")
            continue
        if mount.get("subPath") != volume.get("path"):
            details.append(f"{where}.volumes[{target}].path: {mount.get('subPath')!r}")
        if bool(mount.get("readOnly", False)) != bool(volume.get("readOnly", False)):
            details.append(f"{where}.volumes[{target}].readOnly: {mount.get('readOnly')!r}")
        if "persistentVolumeClaim" not in volumes.get(mount["name"], {}):
            details.append(f"{where}.volumes[{target}] is not the volume resource's claim")
    for section in ("requests", "limits"):
        for resource, quantity in ((container.get("resources") or {}).get(section) or {}).items():
            have = (got.get("resources") or {}).get(section, {}).get(resource)
            if str(have) != str(quantity):
                details.append(f"{where}.resources.{section}.{resource}: {have!r}, expected {quantity!r}")
    if "limits" in (container.get("resources") or {}):
        for resource, quantity in container["resources"]["limits"].items():
            wanted = (container["resources"].get("requests") or {}).get(resource, quantity)
            if str((got.get("resources") or {}).get("requests", {}).get(resource)) != str(wanted):
                details.append(f"{where}.resources: a limit alone must also be the request of {resource}")
    for probe in ("livenessProbe", "readinessProbe"):
        if probe in container and _probe(container[probe]) != _probe_of(got.get(probe) or {}):
            details.append(f"{where}.{probe}: {got.get(probe)!r}")


def _file(
    score: dict[str, Any],
    file: dict[str, Any],
    mount: dict[str, Any] | None,
    config: dict[str, Any],
    volumes: dict[str, dict[str, Any]],
    where: str,
    details: list[str],
) -> None:
    if mount is None or "subPath" not in mount:
        details.append(f"{where} is not mounted")
        return
    key = mount["subPath"]
    source = volumes.get(mount["name"], {}).get("configMap") or {}
    items = {i["key"]: i for i in source.get("items") or []}
    if "binaryContent" in file:
        have = base64.b64decode((config.get("binaryData") or {}).get(key, ""))
        if have != base64.b64decode(file["binaryContent"]):
            details.append(f"{where}: binary content differs")
    else:
        content = file.get("content")
        if "source" in file:
            content = (SCORES / score["metadata"]["name"] / file["source"]).read_text()
        expected = content if file.get("noExpand") else _expanded(score, content)
        have = (config.get("data") or {}).get(key)
        if expected is None:
            if have is None or "${" in have.replace("$${", ""):
                details.append(f"{where}: placeholders left in {have!r}")
        elif have != expected:
            details.append(f"{where}: content {have!r}, expected {expected!r}")
    if "mode" in file:
        mode = items.get(key, {}).get("mode", source.get("defaultMode"))
        if mode != int(file["mode"], 8):
            details.append(f"{where}.mode: {mode!r}, expected {int(file['mode'], 8)}")


def _service(score: dict[str, Any], objects: list[dict[str, Any]], details: list[str]) -> None:
    ports = (score.get("service") or {}).get("ports") or {}
    if not ports:
        return
    service = _find(objects, "Service", score["metadata"]["name"])
    if service is None:
        details.append("service.ports: no Service")
        return
    got = {p["name"]: p for p in service["spec"]["ports"]}
    for name, port in ports.items():
        expected = {
            "name": name,
            "port": port["port"],
            "targetPort": port.get("targetPort", port["port"]),
            "protocol": port.get("protocol", "TCP"),
        }
        if got.get(name) != expected:
            details.append(f"service.ports.{name}: {got.get(name)!r}, expected {expected!r}")


def _entries(written: Any) -> list[tuple[str, dict[str, Any]]]:
    if isinstance(written, dict):
        return sorted(written.items())
    return [(entry["target"], entry) for entry in written or []]


_PLACEHOLDER = re.compile(r"\$\{((?:[^}\\]|\\.)*)\}")


def _expanded(score: dict[str, Any], text: str | None) -> str | None:
    """`text` with Score's `$$` and `${metadata...}` applied; None when it names a resource output
    (a provisioner's value, which the spec does not fix)."""
    if text is None:
        return None
    pieces = []
    for index, part in enumerate(text.split("$$")):
        if index:
            pieces.append("$")
        for match in _PLACEHOLDER.finditer(part):
            if not match.group(1).startswith("metadata."):
                return None
        pieces.append(_PLACEHOLDER.sub(lambda m: _metadata(score, m.group(1)), part))
    return "".join(pieces)


def _metadata(score: dict[str, Any], path: str) -> str:
    keys = [k.replace("\\.", ".") for k in re.split(r"(?<!\\)\.", path)][1:]
    value: Any = score["metadata"]
    for key in keys:
        value = value[key]
    return str(value)


def _as_kubernetes(score: dict[str, Any], text: str) -> str | None:
    """What Kubernetes must be given so that the container sees `text` expanded: it reads `$(NAME)`
    and `$$` itself, so a `$` before `(` or `$` is doubled."""
    expanded = _expanded(score, text)
    return None if expanded is None else re.sub(r"\$(?=[$(])", "$$", expanded)


def _matches(have: Any, expected: Any) -> bool:
    """Equal, or, where the expectation is a provisioner's output (None), resolved."""
    if isinstance(expected, list):
        return isinstance(have, list) and len(have) == len(expected) and all(map(_matches, have, expected))
    if expected is None:
        return isinstance(have, str) and "${" not in have.replace("$${", "")
    return bool(have == expected)


def _probe(written: dict[str, Any]) -> dict[str, Any]:
    if "exec" in written:
        return {"exec": {"command": list(written["exec"]["command"])}}
    http = written["httpGet"]
    return {"httpGet": {k: http[k] for k in ("host", "scheme", "path", "port", "httpHeaders") if k in http}}


def _probe_of(rendered: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in rendered.items() if k in ("exec", "httpGet")}
