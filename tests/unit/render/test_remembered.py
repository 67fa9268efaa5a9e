"""Services' renders remembered between renders (render/remembered.py): after each change, the
render that reuses what it remembers equals a render from nothing, byte for byte (positions of the
objects' sources included), and only the services the change can affect are rendered again."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from dockyard import actions
from dockyard.model.platform import Platform
from dockyard.model.service import Service
from dockyard.render import services
from dockyard.render.bundle import Bundle
from dockyard.render.remembered import (
    NARROWED_FIELDS,
    PLATFORM_FIELDS,
    SERVICE_FIELDS,
    UNREAD_FIELDS,
    UNREAD_SERVICE_FIELDS,
    Memory,
)
from tests.helpers import copy_example, replace, write

EVERY_SERVICE = {"orders", "payments", "web", "worker"}


@pytest.fixture
def rendered(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The names of the services whose workload is rendered (not copied from the memory)."""
    names: list[str] = []
    original = services.render_service

    def counting(service: Any, *args: Any) -> Any:
        names.append(service.name)
        return original(service, *args)

    monkeypatch.setattr(services, "render_service", counting)
    yield names


def _platform(repo: Path, cluster: str = "local") -> Platform:
    return actions.platform_for(actions.load_repo(repo), cluster)


def _text(bundle: Bundle) -> str:
    """Everything the bundle holds that later steps read, with the place each object is reported at."""
    return json.dumps(
        {
            "objects": [[o.manifest, str(o.stage), str(o.source.position)] for o in bundle.objects],
            "tasks": [[str(t.kind), t.name, t.data, str(t.source.position)] for t in bundle.tasks],
            "exposures": [
                [e.service, e.namespace, e.secured, e.enforcers, e.inside, str(e.source.position)]
                for e in bundle.exposures
            ],
            "external": [
                [e.namespace, e.name, sorted(e.keys or ()), str(e.source.position), e.by] for e in bundle.external
            ],
            "sealed": [
                [s.namespace, s.name, [[k, v.file, v.key, v.ciphertext, str(v.position)] for k, v in s.values]]
                for s in bundle.sealed
            ],
        },
        sort_keys=False,
        default=str,
    )


def _judge(repo: Path, memory: Memory, names: list[str], cluster: str = "local") -> set[str]:
    """Render with the memory and from nothing; they must be equal. The services rendered again."""
    platform = _platform(repo, cluster)
    names.clear()
    remembered = services.render(platform, memory)
    again = set(names)
    assert _text(remembered) == _text(services.render(platform, Memory()))
    return again


def test_every_field_of_the_platform_is_either_in_a_services_key_or_not_read_by_its_render() -> None:
    fields = {f.name for f in dataclasses.fields(Platform)}
    assert fields == PLATFORM_FIELDS | NARROWED_FIELDS | UNREAD_FIELDS
    assert not (PLATFORM_FIELDS & NARROWED_FIELDS or PLATFORM_FIELDS & UNREAD_FIELDS or NARROWED_FIELDS & UNREAD_FIELDS)


def test_every_field_of_a_service_is_in_its_key_or_not_read_by_its_render() -> None:
    fields = {f.name for f in dataclasses.fields(Service)}
    assert fields == {*SERVICE_FIELDS, "source", *UNREAD_SERVICE_FIELDS}


CHANGES: list[tuple[str, Callable[[Path], object], set[str]]] = [
    ("nothing", lambda _repo: None, set()),
    (
        "a variable of a service that calls another",
        lambda repo: replace(repo, "services/web/score.yaml", "PUBLIC_HOST: ${resources.public.host}", "MODE: shop"),
        {"web"},
    ),
    (
        "a file a container reads",
        lambda repo: write(repo, "services/web/nginx.conf", "server { listen 8080; }\n"),
        {"web"},
    ),
    (
        "a variable of a service others call: its callers see only its ports, resources and settings",
        lambda repo: replace(repo, "services/orders/score.yaml", "DB_NAME: ${resources.db.name}", "DB_NAME: shop"),
        {"orders"},
    ),
    (
        "a comment: the objects are the same, their lines are not",
        lambda repo: replace(repo, "services/worker/score.yaml", "containers:", "# the worker\ncontainers:"),
        {"worker"},
    ),
    (
        "the ports of a called service: its callers' URLs and egress change",
        lambda repo: (
            replace(
                repo,
                "services/orders/score.yaml",
                "port: 80\n      targetPort: 8080",
                "port: 81\n      targetPort: 8080",
            ),
            replace(
                repo, "services/orders/score.yaml", "path: /orders\n      port: 80", "path: /orders\n      port: 81"
            ),
        ),
        {"orders", "payments", "web", "worker"},
    ),
    (
        "the contract a caller asks scopes of",
        lambda repo: replace(repo, "services/orders/openapi.yaml", "Read orders", "Read any order"),
        {"orders", "payments", "web", "worker"},
    ),
    (
        "a caller stops calling: the called service's ingress changes",
        lambda repo: (
            replace(repo, "services/web/score.yaml", "  orders:\n    type: service\n", ""),
            replace(repo, "services/web/score.yaml", "ORDERS_URL: ${resources.orders.url}", "ORDERS_URL: none"),
        ),
        {"web", "orders"},
    ),
    (
        "a service's settings",
        lambda repo: replace(repo, "services/web/dockyard.yaml", "replicas: 2", "replicas: 3"),
        {"web"},
    ),
    (
        "the team of a called service: its callers must be let in by name",
        lambda repo: write(
            repo,
            "services/orders/dockyard.yaml",
            (repo / "services/orders/dockyard.yaml").read_text() + "team: backend\ncallers: [payments, worker]\n",
        ),
        {"orders", "payments", "worker"},
    ),
    (
        "the repo's encrypted secrets: a service's own",
        lambda repo: (
            replace(
                repo,
                "services/payments/score.yaml",
                "      keys: [apiKey]\n",
                "      keys: [apiKey]\n      from: repo\n",
            ),
            write(repo, "services/payments/secrets.yaml", _sealed(provider={"apiKey": "first"})),
        ),
        {"payments"},
    ),
    (
        "a ciphertext",
        lambda repo: replace(repo, "services/payments/secrets.yaml", "data:first", "data:second"),
        {"payments"},
    ),
    (
        "a comment in a secrets file: the values' lines move",
        lambda repo: replace(repo, "services/payments/secrets.yaml", "provider:", "# the provider\nprovider:"),
        {"payments"},
    ),
    (
        "a secrets layer",
        lambda repo: write(repo, "secrets/platform.yaml", _sealed(relay={"token": "layer"})),
        EVERY_SERVICE,
    ),
    (
        "a service's own secrets file removed: the layers answer",
        lambda repo: (
            (repo / "services/payments/secrets.yaml").unlink(),
            write(repo, "secrets/platform.yaml", _sealed(provider={"apiKey": "from-layer"})),
        ),
        EVERY_SERVICE,
    ),
    (
        "a platform-wide value",
        lambda repo: replace(repo, "clusters/local.yaml", "domain: ", "domain: other."),
        EVERY_SERVICE,
    ),
    (
        "the platform's own provisioner",
        lambda repo: replace(repo, "provisioners/smtp.yaml", "description: ", "description: changed "),
        EVERY_SERVICE,
    ),
]


def _sealed(**values: dict[str, str]) -> str:
    """A secrets file as sops writes it, for a render (which reads its ciphertexts, never opens them)."""
    lines = []
    for name, keys in values.items():
        lines.append(f"{name}:\n")
        lines += [f"  {key}: ENC[AES256_GCM,data:{value},iv:aXY=,tag:dGFn,type:str]\n" for key, value in keys.items()]
    recipient = "age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq"
    return "".join(lines) + (
        "sops:\n  age:\n    - recipient: " + recipient + "\n      enc: x\n"
        "  lastmodified: '2026-11-29T00:00:00Z'\n  mac: ENC[AES256_GCM,data:bWFj,iv:aXY=,tag:dGFn,type:str]\n"
        "  version: 3.9.0\n"
    )


def test_after_each_change_only_what_it_can_affect_is_rendered_again(tmp_path: Path, rendered: list[str]) -> None:
    repo = copy_example(tmp_path)
    memory = Memory()
    assert _judge(repo, memory, rendered) == EVERY_SERVICE  # nothing remembered yet
    for what, change, expected in CHANGES:
        change(repo)
        assert _judge(repo, memory, rendered) == expected, what


def test_each_cluster_is_remembered_apart(tmp_path: Path, rendered: list[str]) -> None:
    repo = copy_example(tmp_path)
    memory = Memory()
    assert _judge(repo, memory, rendered, "local") == EVERY_SERVICE
    assert _judge(repo, memory, rendered, "prod-eu") == EVERY_SERVICE
    assert _judge(repo, memory, rendered, "local") == set()
    assert _judge(repo, memory, rendered, "prod-eu") == set()


def test_services_that_share_a_resource_are_rendered_every_time(tmp_path: Path, rendered: list[str]) -> None:
    repo = copy_example(tmp_path)
    replace(
        repo, "services/worker/score.yaml", "  queue:\n    type: redis\n", "  queue:\n    type: redis\n    id: jobs\n"
    )
    write(
        repo,
        "services/mailer/score.yaml",
        "apiVersion: score.dev/v1b1\nmetadata:\n  name: mailer\ncontainers:\n  main:\n    image: mailer:1\n"
        "    variables:\n      REDIS_HOST: ${resources.queue.host}\n"
        "resources:\n  queue:\n    type: redis\n    id: jobs\n",
    )
    memory = Memory()
    assert _judge(repo, memory, rendered) == EVERY_SERVICE | {"mailer"}
    assert _judge(repo, memory, rendered) == {"mailer", "worker"}


def test_what_the_memory_gives_is_a_copy_of_its_own(tmp_path: Path) -> None:
    """Later steps may change an object in place (apply fills a Secret's values): that must never
    reach the memory, and so the next render."""
    platform = _platform(copy_example(tmp_path))
    memory = Memory()
    first = services.render(platform, memory)
    expected = _text(first)
    for rendered in first.objects:
        rendered.manifest["metadata"]["labels"]["changed"] = "in place"
    for task in first.tasks:
        task.data.clear()  # type: ignore[union-attr]
    assert _text(services.render(platform, memory)) == expected


def test_values_json_cannot_hold_come_back_as_they_were(tmp_path: Path, rendered: list[str]) -> None:
    """YAML's infinities and not-a-number, in a platform provisioner's object: remembered exactly."""
    repo = copy_example(tmp_path)
    write(
        repo,
        "provisioners/gauge.yaml",
        "apiVersion: dockyard.dev/v1alpha1\nkind: Provisioner\ndescription: a gauge\noutputs: {}\nmanifests:\n"
        "  - apiVersion: v1\n    kind: ConfigMap\n    metadata:\n      name: ${service}-gauge\n"
        "    x-limits: {ceiling: .inf, floor: -.inf, unset: .nan}\n",
    )
    replace(repo, "services/worker/score.yaml", "\nresources:\n", "\nresources:\n  gauge:\n    type: gauge\n")
    memory = Memory()
    _judge(repo, memory, rendered)
    assert _judge(repo, memory, rendered) == set()
    (limits,) = [
        o.manifest["x-limits"] for o in services.render(_platform(repo), memory).objects if "x-limits" in o.manifest
    ]
    assert repr(limits) == "{'ceiling': inf, 'floor': -inf, 'unset': nan}"


def test_a_contract_named_with_a_placeholder_is_read_as_the_render_names_it(
    tmp_path: Path, rendered: list[str]
) -> None:
    repo = copy_example(tmp_path)
    replace(
        repo,
        "services/orders/score.yaml",
        "  name: orders\n",
        "  name: orders\n  annotations:\n    api: openapi.yaml\n",
    )
    replace(
        repo,
        "services/orders/score.yaml",
        "  api:\n    type: api\n",
        "  api:\n    type: api\n    params:\n      contract: ${metadata.annotations.api}\n",
    )
    memory = Memory()
    assert _judge(repo, memory, rendered) == EVERY_SERVICE
    replace(repo, "services/orders/openapi.yaml", "Read orders", "Read any order")
    assert _judge(repo, memory, rendered, "prod-eu") == EVERY_SERVICE
    replace(repo, "services/orders/openapi.yaml", "Read any order", "Read every order")
    assert _judge(repo, memory, rendered, "prod-eu") >= {"orders"}


def test_the_memory_keeps_to_its_budget(tmp_path: Path) -> None:
    platform = _platform(copy_example(tmp_path))
    memory = Memory(budget=1)
    services.render(platform, memory)
    assert len(memory) == 1 and memory.size > 1  # the last one kept, the others dropped oldest first
    roomy = Memory()
    services.render(platform, roomy)
    assert len(roomy) == 4 and 0 < roomy.size < roomy.budget
