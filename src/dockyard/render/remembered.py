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

import contextlib
import dataclasses
import hashlib
import pickle
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from dockyard.load.yamlsafe import Document
from dockyard.model.platform import Platform
from dockyard.model.service import Service
from dockyard.render.bundle import Exposure, ExternalSecret, Rendered, SealedSecret, Source, Stage, TaskRequest
from dockyard.render.provisioners.base import Peer

PLATFORM_FIELDS = frozenset(
    {"name", "domain", "profile", "cluster", "values", "settings", "provisioners", "root", "sealed"}
)
"""The platform's fields a service's render reads, digested once per render (`sealed` without the
other services' secrets files)."""
NARROWED_FIELDS = frozenset({"services", "contracts", "files"})
"""Fields narrowed to what the service and the services it calls name, digested per service."""
UNREAD_FIELDS = frozenset({"policies", "conftest", "gatekeeper", "locate"})
SERVICE_FIELDS = ("name", "containers", "ports", "resources", "settings")
"""A service's fields in its key (and its callees' and callers'), beside its score.yaml by its bytes."""
UNREAD_SERVICE_FIELDS = frozenset({"locate_setting"})
"""Read only to place a problem of where services are placed, which is judged every time."""
"""Fields a service's render does not read (the checks read the policies; `locate` places the
namespaces' objects, which are rendered every time)."""


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
    """A ServiceRender as remembered: its manifests and tasks' data pickled together (exact for
    every value YAML can hold, an infinity included, and sub-objects shared as they were), so every
    use gets objects of its own (later steps may change a manifest in place)."""

    pickled: bytes
    """(manifests, tasks' data), pickled."""
    places: tuple[tuple[Stage, Source], ...]
    tasks: tuple[TaskRequest, ...]
    exposures: tuple[Exposure, ...]
    external: tuple[ExternalSecret, ...]
    sealed: tuple[SealedSecret, ...]
    calls: Calls

    @classmethod
    def of(cls, made: ServiceRender) -> _Kept:
        manifests = tuple(r.manifest for r in made.objects)
        pickled = pickle.dumps((manifests, tuple(t.data for t in made.tasks)), protocol=pickle.HIGHEST_PROTOCOL)
        places = tuple((r.stage, r.source) for r in made.objects)
        return cls(pickled, places, made.tasks, made.exposures, made.external, made.sealed, made.calls)

    def restored(self) -> ServiceRender:
        manifests, data = pickle.loads(self.pickled)
        return ServiceRender(
            tuple(Rendered(m, stage, source) for m, (stage, source) in zip(manifests, self.places, strict=True)),
            tuple(dataclasses.replace(t, data=d) for t, d in zip(self.tasks, data, strict=True)),
            self.exposures,
            self.external,
            self.sealed,
            self.calls,
        )


class Memory:
    """Services' renders and the calls they make, by key, the most recently used kept within a
    budget of bytes (thread-safe: the console renders in several threads)."""

    def __init__(self, budget: int = 128 * 2**20) -> None:
        self.budget = budget
        self._kept: OrderedDict[bytes, _Kept] = OrderedDict()
        self._calls: OrderedDict[bytes, Calls] = OrderedDict()
        self._bytes = 0
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
            kept = _Kept.of(made)
        except (pickle.PicklingError, TypeError, AttributeError):  # rendered again next time
            return
        with self._lock:
            replaced = self._kept.pop(key, None)
            self._bytes += len(kept.pickled) - (len(replaced.pickled) if replaced is not None else 0)
            self._kept[key] = kept
            self._calls[calls_key] = made.calls
            self._calls.move_to_end(calls_key)
            while self._bytes > self.budget and len(self._kept) > 1:  # the one just kept stays
                _key, dropped = self._kept.popitem(last=False)
                self._bytes -= len(dropped.pickled)
            while len(self._calls) > max(len(self._kept), 1) * 2:
                self._calls.popitem(last=False)

    def __len__(self) -> int:
        return len(self._kept)

    @property
    def size(self) -> int:
        """The bytes of the pickled renders it keeps (their sources and other parts are small beside them)."""
        return self._bytes


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
    caller reads (`interface`); the contracts and files they name (every contract when one is named
    with a placeholder); its own secrets file with the platform's."""
    own = [service, *(interface(services[name]) for name in callees(service) if name in services)]
    named = [s.contract_paths() for s in own]
    contracts = (
        dict(platform.contracts)
        if any(paths is None for paths in named)
        else {p: platform.contracts[p] for paths in named for p in paths or () if p in platform.contracts}
    )
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
    peers its ingress admits (`render_key`: its render reads nothing else). Each key is a digest of
    one pickled structure of those parts (self-delimiting: no two different ones give the same
    bytes); a file is in it by its name and a digest of its bytes, made once per render."""

    def __init__(self, platform: Platform, shared: Iterable[str]) -> None:
        self.shared = frozenset(shared)
        self._documents: dict[int, tuple[Document, tuple[str, bytes] | None]] = {}
        """By the document's id, the document held with its digest (so the id is never another's)."""
        self._platform: bytes | None = None
        with contextlib.suppress(*_UNPICKLABLE):
            self._platform = self._of_platform(platform)

    def calls_key(self, view: Platform) -> bytes | None:
        """The key of the service a narrowed platform is for (its first service)."""
        service = view.services[0]
        if self._platform is None or service.name in self.shared:
            return None
        try:
            documents = [
                service.source,
                *(d for _path, ds in sorted(view.contracts.items()) for d in ds.values()),
                *view.sealed.services.values(),
            ]
            files = self._all(documents)
            if files is None:
                return None
            models = tuple(
                (s.name, s.source.file, s.containers, s.ports, s.resources, s.settings) for s in view.services
            )
            contracts = tuple((path, tuple(documents)) for path, documents in sorted(view.contracts.items()))
            raw = tuple(
                (path, hashlib.blake2b(data, digest_size=32).digest()) for path, data in sorted(view.files.items())
            )
            return _digest(("service", self._platform, models, tuple(contracts), raw, files))
        except _UNPICKLABLE:
            return None

    def render_key(self, calls_key: bytes, ingress: Sequence[Peer]) -> bytes | None:
        """A service's key: what its provisioning reads, and the peers its ingress admits."""
        try:
            return _digest(("render", calls_key, tuple(ingress)))
        except _UNPICKLABLE:
            return None

    def _of_platform(self, platform: Platform) -> bytes | None:
        plain = (platform.name, platform.domain, platform.profile, platform.cluster, str(platform.root))
        documents = self._all([*(d for _kind, d in sorted(platform.provisioners.items())), *platform.sealed.layers])
        if documents is None:
            return None
        provisioners = tuple(sorted(platform.provisioners))
        sealed = tuple(platform.sealed.names)
        return _digest(("platform", plain, platform.values, platform.settings, provisioners, sealed, documents))

    def _all(self, documents: Iterable[Document]) -> tuple[tuple[str, bytes], ...] | None:
        found = []
        for document in documents:
            if id(document) not in self._documents:
                self._documents[id(document)] = (document, _document(document))
            digest = self._documents[id(document)][1]
            if digest is None:
                return None
            found.append(digest)
        return tuple(found)


_UNPICKLABLE = (pickle.PicklingError, TypeError, AttributeError, RecursionError)


def _digest(parts: object) -> bytes:
    return hashlib.blake2b(pickle.dumps(parts, protocol=pickle.HIGHEST_PROTOCOL), digest_size=32).digest()


def _document(document: Document) -> tuple[str, bytes] | None:
    """A parsed file by its name and a digest of its bytes (the positions of its values follow from
    them); None for one made in memory with values but without bytes."""
    if not document.raw and document.data not in (None, {}, []):
        return None
    return document.file, hashlib.blake2b(document.raw, digest_size=32).digest()
