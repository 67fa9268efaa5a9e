"""Each service's render, remembered by a process that renders the same platform again and again
(`dockyard watch`, the sync controller, the console): after a change, only the services it can
affect are rendered again; the others' objects are copies of what they made last time.

A service's render reads a narrowed platform (`narrowed`): the platform's own values, the service
itself and the services it calls, the contracts and files those name, and its own encrypted
secrets. Its key is a digest of exactly that, and of the services that call it (they open its
ingress). What the render cannot read, it cannot depend on: a provisioner that reached for another
service, contract or file would find none, in a cold render as in a remembered one.

Not remembered: a service that shares a resource with others (Score's resource `id`: the first of
them provisions it for all), and one whose files were not read from bytes (a document made in
memory has no bytes to digest).
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import pickle
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

import orjson

from dockyard.load.yamlsafe import Document
from dockyard.model.platform import Platform
from dockyard.model.service import Service
from dockyard.render.bundle import Exposure, ExternalSecret, Rendered, SealedSecret, Source, Stage, TaskRequest
from dockyard.render.provisioners.base import Peer

PLATFORM_FIELDS = frozenset({"name", "domain", "profile", "cluster", "values", "provisioners", "root", "sealed"})
"""The platform's fields a service's render reads, digested once per render (`settings` is made
from `values`; `sealed` is digested without the other services' secrets files)."""
NARROWED_FIELDS = frozenset({"services", "contracts", "files"})
"""Fields narrowed to what the service and the services it calls name, digested per service."""
UNREAD_FIELDS = frozenset({"settings", "policies", "conftest", "gatekeeper", "locate"})
"""Fields a service's render does not read (the checks read the policies; `locate` places the
namespaces' objects, which are rendered every time)."""


T = TypeVar("T")

Calls = tuple[tuple[str, Peer], ...]
"""The services one calls, each with the peer (its pods, the ports) that callee's ingress admits."""


@dataclass(frozen=True)
class ServiceRender:
    """What rendering one service made: its objects (with its resources'), the lifecycle tasks and
    what else the bundle collects, and the connections it opens to the services it calls."""

    objects: tuple[Rendered, ...]
    tasks: tuple[TaskRequest, ...]
    exposures: tuple[Exposure, ...]
    external: tuple[ExternalSecret, ...]
    sealed: tuple[SealedSecret, ...]
    calls: Calls
    """(a service it calls, the pods that call it and on which ports): that service's ingress."""


@dataclass(frozen=True)
class _Kept:
    """A ServiceRender as remembered: each manifest as JSON, so every use gets objects of its own
    (later steps may change a manifest in place)."""

    objects: tuple[tuple[bytes, Stage, Source], ...]
    tasks: tuple[TaskRequest, ...]
    exposures: tuple[Exposure, ...]
    external: tuple[ExternalSecret, ...]
    sealed: tuple[SealedSecret, ...]
    calls: Calls

    def restored(self) -> ServiceRender:
        return ServiceRender(
            tuple(Rendered(orjson.loads(text), stage, source) for text, stage, source in self.objects),
            tuple(dataclasses.replace(t, data=copy.deepcopy(t.data)) for t in self.tasks),
            self.exposures,
            self.external,
            self.sealed,
            self.calls,
        )


class Memory:
    """Services' renders and the calls they make, by key, the most recently used kept (thread-safe:
    the console renders in several threads)."""

    def __init__(self, capacity: int = 30_000) -> None:
        self.capacity = capacity
        self._kept: OrderedDict[bytes, _Kept] = OrderedDict()
        self._calls: OrderedDict[bytes, Calls] = OrderedDict()
        self._lock = threading.Lock()

    def recall(self, key: bytes) -> ServiceRender | None:
        with self._lock:
            kept = self._kept.get(key)
            if kept is None:
                return None
            self._kept.move_to_end(key)
        return kept.restored()

    def recall_calls(self, key: bytes) -> Calls | None:
        with self._lock:
            calls = self._calls.get(key)
            if calls is not None:
                self._calls.move_to_end(key)
            return calls

    def keep(self, key: bytes, calls_key: bytes, made: ServiceRender) -> None:
        try:
            objects = tuple((orjson.dumps(r.manifest), r.stage, r.source) for r in made.objects)
            tasks = tuple(dataclasses.replace(t, data=copy.deepcopy(t.data)) for t in made.tasks)
        except TypeError:  # a value JSON cannot hold: rendered again next time
            return
        kept = _Kept(objects, tasks, made.exposures, made.external, made.sealed, made.calls)
        with self._lock:
            _put(self._kept, key, kept, self.capacity)
            _put(self._calls, calls_key, made.calls, self.capacity)

    def __len__(self) -> int:
        return len(self._kept)


def _put(table: OrderedDict[bytes, T], key: bytes, value: T, capacity: int) -> None:
    table[key] = value
    table.move_to_end(key)
    while len(table) > capacity:
        table.popitem(last=False)


_process_memory: Memory | None = None


def remember_renders() -> None:
    """Remember each service's render for the rest of this process (a front end that renders the
    same platform again after each change calls this once; a command that renders once does not,
    as keeping copies would only cost it)."""
    global _process_memory
    if _process_memory is None:
        _process_memory = Memory()


def forget_renders() -> None:
    """Render from nothing again (what was remembered is dropped)."""
    global _process_memory
    _process_memory = None


def process_memory() -> Memory | None:
    return _process_memory


def callees(service: Service) -> tuple[str, ...]:
    """The services it calls (its `service` resources), in name order."""
    return tuple(sorted({str(r.params.get("name", r.id)) for r in service.resources if r.type == "service"}))


def narrowed(platform: Platform, service: Service, services: Mapping[str, Service]) -> Platform:
    """The platform as one service's render sees it: the service; of each service it calls, what a
    caller reads (`interface`); the contracts and files they name; its own secrets file with the
    platform's."""
    own = [service, *(interface(services[name]) for name in callees(service) if name in services)]
    contracts = {p: platform.contracts[p] for s in own for p in s.contract_paths() if p in platform.contracts}
    files = {p: platform.files[p] for p in service.file_paths() if p in platform.files}
    secrets = platform.sealed.services.get(service.name)
    sealed = dataclasses.replace(platform.sealed, services={service.name: secrets} if secrets is not None else {})
    return dataclasses.replace(platform, services=tuple(own), contracts=contracts, files=files, sealed=sealed)


def interface(service: Service) -> Service:
    """A called service as its callers see it: its name, ports, resources and settings (its team,
    the callers it admits, its API's contract), without its containers or the rest of its
    score.yaml, so a change to those renders no caller again."""
    return dataclasses.replace(service, containers=(), source=Document(service.source.file, {}))


class Keys:
    """Each service's keys, for one platform (None for a service that is not remembered): what its
    narrowed platform holds (`calls_key`: its provisioning reads nothing else), and that with the
    peers its ingress admits (`key`: its render reads nothing else)."""

    def __init__(self, platform: Platform, shared: Iterable[str]) -> None:
        self.shared = frozenset(shared)
        self._platform_digest = _platform_digest(platform)

    def calls_key(self, view: Platform) -> bytes | None:
        """The key of the service a narrowed platform is for (its first service)."""
        service = view.services[0]
        if self._platform_digest is None or service.name in self.shared:
            return None
        digest = hashlib.blake2b(self._platform_digest, digest_size=32)
        if not _add_document(digest, service.source):
            return None
        model = tuple((s.name, s.source.file, s.containers, s.ports, s.resources, s.settings) for s in view.services)
        digest.update(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL))
        for path, documents in sorted(view.contracts.items()):
            digest.update(path.encode() + b"\0")
            for document in documents.values():
                if not _add_document(digest, document):
                    return None
        for path, raw in sorted(view.files.items()):
            digest.update(b"%s\0%d\0" % (path.encode(), len(raw)) + raw)
        for document in view.sealed.services.values():
            if not _add_document(digest, document):
                return None
        return digest.digest()


def render_key(calls_key: bytes, ingress: Sequence[Peer]) -> bytes:
    """A service's key: what its provisioning reads, and the peers its ingress admits."""
    return hashlib.blake2b(calls_key + pickle.dumps(tuple(ingress)), digest_size=32).digest()


def _platform_digest(platform: Platform) -> bytes | None:
    digest = hashlib.blake2b(digest_size=32)
    plain = (platform.name, platform.domain, platform.profile, platform.cluster, str(platform.root))
    digest.update(pickle.dumps((plain, platform.values), protocol=pickle.HIGHEST_PROTOCOL))
    for kind, document in sorted(platform.provisioners.items()):
        digest.update(kind.encode() + b"\0")
        if not _add_document(digest, document):
            return None
    digest.update("\0".join(platform.sealed.names).encode())
    for document in platform.sealed.layers:
        if not _add_document(digest, document):
            return None
    return digest.digest()


def _add_document(digest: hashlib.blake2b, document: Document) -> bool:
    """A parsed file by its name and bytes (the positions of its values follow from them); False
    for one made in memory, without bytes."""
    if not document.raw:
        return False
    digest.update(b"%s\0%d\0" % (document.file.encode(), len(document.raw)) + document.raw)
    return True
