"""Nothing waits on what a later stage applies: a stage must become healthy before the next one
starts, so a pod that needs a Service, Secret or ConfigMap of a later stage (or one a lifecycle
task makes only after its stage) could never start in time."""

from __future__ import annotations

from dockyard.check.findings import Finding
from dockyard.check.wiring.addresses import Wire
from dockyard.check.wiring.facts import Facts, stage_rank
from dockyard.check.wiring.placed import finding
from dockyard.render.pods import reads

RULE = "wiring-stage"


def check_stages(facts: Facts, wires: list[Wire]) -> list[Finding]:
    findings: list[Finding] = []
    for wire in wires:
        if not wire.startup or wire.service.sink:
            continue
        owner = wire.source.owner
        target_stage = wire.service.stage
        if target_stage is not None and stage_rank(target_stage) > stage_rank(owner.stage):
            findings.append(
                finding(
                    owner,
                    RULE,
                    f"in stage {owner.stage}, it connects to `{wire.written}`, which stage {target_stage} applies "
                    f"later: if it needs it to start, stage {owner.stage} can never become healthy",
                    text=wire.texts,
                    whole=wire.whole,
                    hint=f"name a Service of stage {owner.stage} or earlier; if it connects only once running "
                    "(never to start), waive this finding with that reason",
                )
            )
    for pod in facts.pods:
        for read in reads(pod.spec, pod.path):
            kind, name, path = read.kind, read.name, read.path
            stored = facts.stored_object(kind, pod.namespace, name)
            if stored is None or stored.stage is None or stage_rank(stored.stage) <= stage_rank(pod.owner.stage):
                continue
            when = f"only after stage {stored.after}" if stored.after else f"only for stage {stored.stage}"
            message = (
                f"in stage {pod.owner.stage}, it reads {kind} {pod.namespace}/{name}, which {stored.made_by} "
                f"makes {when}: its pods cannot start before then"
            )
            findings.append(finding(pod.owner, RULE, message, text=name, whole=True, path=path))
    return list(dict.fromkeys(findings))
