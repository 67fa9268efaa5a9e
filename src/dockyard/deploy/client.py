"""The only module that talks to the API server.

Server-side apply with field manager `dockyard` (never forced unless asked), server-side dry
runs, reads and deletes, all on plain dicts. Kinds are resolved through lightkube's registry of
built-in resources plus the cluster's CRDs (loaded once, and again after CRDs are applied).
Failures are translated here, once, into `ObjectError`s that say what happened to which object.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import httpx2
import orjson
from lightkube import ALL_NS, Client, KubeConfig, codecs
from lightkube.config.client_adapter import Client as adapter_client
from lightkube.config.client_adapter import ConnectionParams
from lightkube.core import resource as lightkube_resource
from lightkube.core.exceptions import ApiError, ConfigError, LoadResourceError
from lightkube.core.resource import NamespacedResource
from lightkube.core.resource_registry import resource_registry
from lightkube.generic_resource import (
    GenericGlobalResource,
    GenericNamespacedResource,
    create_global_resource,
    create_namespaced_resource,
)
from lightkube.types import CascadeType, PatchType

from dockyard.errors import DockyardError
from dockyard.locations import user_kubeconfig
from dockyard.render.object_id import ObjectId

_KINDS_LOCK = threading.RLock()
"""Learning kinds registers classes in lightkube's one registry: one thread at a time (the plan's
and the drift watch's threads may ask about a kind no one has seen)."""
DISCOVERY_ACCEPT = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"
"""Aggregated discovery (Kubernetes 1.30 and later): every group, version and kind in one answer."""
FIELD_MANAGER = "dockyard"
LIST_PAGE = 500
"""Objects per page of a LIST."""
SERVICE_ACCOUNT = Path("/var/run/secrets/kubernetes.io/serviceaccount")
"""Where a pod finds its ServiceAccount's token, CA and namespace (used when there is no kubeconfig)."""
TASK_FIELD_MANAGER = "dockyard-tasks"
"""Lifecycle tasks write what apply never owns (generated Secrets, restart stamps)."""
T = TypeVar("T")
ATTEMPTS = 3
RETRY_AFTER_LONGEST = 5.0
"""Seconds waited at most before a retry the API server asked for (it may ask for more)."""


def retry_after(response: httpx2.Response | None) -> float | None:
    """The seconds to wait before trying again, when the API server asks for it: a 429 (too many
    requests) or a 5xx with a Retry-After header in seconds; None for any other answer."""
    if response is None or not (response.status_code == 429 or 500 <= response.status_code < 600):
        return None
    value = response.headers.get("Retry-After", "")
    if not (value.isascii() and value.isdigit()):  # `²` is a digit to str.isdigit, not to float()
        return None
    return min(float(value), RETRY_AFTER_LONGEST)


class ConnectionFailed(DockyardError):
    """The cluster cannot be reached or the kubeconfig is not usable."""


class Reason(StrEnum):
    """Why the API server refused an object, as far as Dockyard acts on it."""

    NOT_FOUND_NAMESPACE = "not-found-namespace"
    UNKNOWN_KIND = "unknown-kind"
    IMMUTABLE = "immutable"
    CONFLICT = "conflict"
    INVALID = "invalid"
    FORBIDDEN = "forbidden"
    OTHER = "other"


@dataclass(frozen=True)
class ObjectError:
    """Why the API server refused one object: a kind of failure and its message."""

    reason: Reason
    message: str


class Connection:
    def __init__(self, kubeconfig: Path | None, context: str | None) -> None:
        path = kubeconfig or user_kubeconfig()
        try:
            if kubeconfig is None and not path.exists() and os.environ.get("KUBERNETES_SERVICE_HOST"):
                path = SERVICE_ACCOUNT  # in a pod with no kubeconfig: its ServiceAccount's token
                config = KubeConfig.from_service_account(str(SERVICE_ACCOUNT))
            else:
                config = KubeConfig.from_file(str(path))
            chosen = config.get(context_name=context)
            if chosen is None:
                raise ConfigError(f"no context {context!r}")
            self._config = chosen
            Client(config=self._config, field_manager=FIELD_MANAGER, trust_env=False)  # fails early on a bad config
        except (ConfigError, OSError, KeyError, ValueError) as error:
            where = f"context `{context}` in {path}" if context else str(path)
            raise ConnectionFailed(f"cannot use {where}: {error}") from None
        self.context = context
        self._crds_loaded = False
        self._served: frozenset[tuple[str, str]] = frozenset()
        self._listed = False
        """Whether the CRDs were listed since the kinds were last learnt (discovery may lag them)."""
        self._local = threading.local()

    @property
    def client(self) -> Client:
        """A client of this thread's own: requests run in parallel, connections are never shared."""
        client = getattr(self._local, "client", None)
        if client is None:
            client = Client(config=self._config, field_manager=FIELD_MANAGER, trust_env=False)
            self._local.client = client
        return client

    def _call(self, request: Callable[[], T]) -> T:
        """Run a request, retrying twice what did not reach the API server or was not taken: a
        transport failure (a dropped connection, a broken handshake, no answer in time), and an
        answer that asks to be tried again (a 429 or 5xx with Retry-After, as client-go retries)."""
        for attempt in range(ATTEMPTS):
            last = attempt == ATTEMPTS - 1
            try:
                result = request()
            except httpx2.TransportError as error:
                if last:
                    raise ConnectionFailed(f"cannot reach the cluster (context {self.context}): {error}") from None
                self._local.client = None
                self._local.http = None
                time.sleep(0.2 * (attempt + 1))
                continue
            except ApiError as error:
                wait = retry_after(error.response)
                if wait is None or last:
                    raise
                time.sleep(wait)
                continue
            if isinstance(result, httpx2.Response) and not last:
                wait = retry_after(result)
                if wait is not None:
                    time.sleep(wait)
                    continue
            return result
        raise AssertionError("unreachable")

    def refresh_kinds(self) -> None:
        """Learn the kinds the cluster serves (call again after applying CRDs). lightkube keeps the
        kinds of every cluster a process has seen in one registry; this cluster's own are kept
        here, so a kind another cluster serves is never taken for one this cluster has.

        From aggregated discovery (one request of some 40 KB) where the API server offers it, else
        from the CRDs themselves (megabytes: they carry whole schemas). Discovery may lag a CRD
        created a moment ago, so a kind it lacks is looked for among the CRDs once more."""
        with _KINDS_LOCK:
            served = self._discovered()
            self._listed = served is None
            self._served = frozenset(served if served is not None else self._from_crds())
            self._crds_loaded = True

    def _discovered(self) -> set[tuple[str, str]] | None:
        response = self._call(lambda: self._http.get("/apis", headers={"Accept": DISCOVERY_ACCEPT}))
        if response.status_code != 200:
            return None
        try:
            found = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            return None
        if not isinstance(found, dict) or found.get("kind") != "APIGroupDiscoveryList":
            return None  # a server without aggregated discovery answered with the plain group list
        served: set[tuple[str, str]] = set()
        for api_version, kind, plural, namespaced in discovered_kinds(found):
            self._register(api_version, kind, plural, namespaced)
            served.add((api_version, kind))
        return served

    def _from_crds(self) -> set[tuple[str, str]]:
        # read as plain JSON: lightkube's models take long to decode whole schemas
        served: set[tuple[str, str]] = set()
        for crd in self.list("apiextensions.k8s.io/v1", "CustomResourceDefinition", None).values():
            spec = crd.get("spec") or {}
            group, names = str(spec.get("group")), spec.get("names") or {}
            for version in spec.get("versions") or ():
                api_version = f"{group}/{version['name']}"
                self._register(api_version, names["kind"], names["plural"], spec.get("scope") == "Namespaced")
                if version.get("served"):
                    served.add((api_version, names["kind"]))
        return served

    @staticmethod
    def _register(api_version: str, kind: str, plural: str, namespaced: bool) -> None:
        """A kind lightkube does not ship becomes a generic resource it can encode and decode."""
        known = _builtin({"apiVersion": api_version, "kind": kind})
        if known is not None and not issubclass(known, (GenericGlobalResource, GenericNamespacedResource)):
            return
        group, _slash, version = api_version.rpartition("/")
        create = create_namespaced_resource if namespaced else create_global_resource
        with contextlib.suppress(ValueError):  # registered before with another plural or scope: kept as it is
            create(group, version, kind, plural)

    def _known(self, manifest: Mapping[str, Any]) -> bool:
        """Whether this cluster serves the object's kind: a built-in one, or one of its own CRDs."""
        key = (str(manifest["apiVersion"]), str(manifest["kind"]))
        registered = _builtin(manifest)
        if registered is not None and not issubclass(registered, (GenericGlobalResource, GenericNamespacedResource)):
            return True
        if key not in self._served and not self._listed:  # discovery may lag a CRD just created
            with _KINDS_LOCK:
                if not self._listed:
                    self._served = self._served | self._from_crds()
                    self._listed = True
        return key in self._served

    def prepare(self, manifests: list[Mapping[str, Any]]) -> None:
        """Convert one object of each kind here, before requests run in threads.

        lightkube decodes with msgspec, which builds its type information for a class on first
        use; doing that for the same class in two threads at once crashes the interpreter, so
        every kind is used once, in this thread, first.
        """
        seen = set()
        for manifest in manifests:
            key = (manifest["apiVersion"], manifest["kind"])
            if key not in seen:
                seen.add(key)
                with contextlib.suppress(LoadResourceError):
                    self._resource(manifest).to_dict()

    def _resource(self, manifest: Mapping[str, Any]) -> Any:
        """The object as a lightkube resource (for apply); LoadResourceError for a kind the cluster lacks."""
        if not self._crds_loaded:
            self.refresh_kinds()
        if not self._known(manifest):
            raise LoadResourceError(f"the cluster has no kind {manifest['kind']} in {manifest['apiVersion']}")
        return codecs.from_dict(dict(manifest))

    def _kind(self, manifest: Mapping[str, Any]) -> Any:
        """The resource class of the object's kind (for get and delete), or None if the cluster lacks it."""
        if not self._crds_loaded:
            builtin = _builtin(manifest)
            if builtin is not None and not issubclass(builtin, (GenericGlobalResource, GenericNamespacedResource)):
                return builtin  # a kind of Kubernetes itself: no need to learn the cluster's CRDs for it
            self.refresh_kinds()
        if not self._known(manifest):
            return None
        return resource_registry.get(manifest["apiVersion"], manifest["kind"]) or _builtin(manifest)

    def apply(
        self,
        manifest: Mapping[str, Any],
        *,
        dry_run: bool = False,
        force: bool = False,
        field_manager: str = FIELD_MANAGER,
    ) -> dict[str, Any] | ObjectError:
        try:
            resource = self._resource(manifest)
        except LoadResourceError:
            return ObjectError(
                Reason.UNKNOWN_KIND, f"the cluster has no kind {manifest['kind']} in {manifest['apiVersion']}"
            )
        try:
            result = self._call(
                lambda: self.client.apply(resource, field_manager=field_manager, dry_run=dry_run, force=force)
            )
        except ApiError as error:
            return _classify(error)
        except httpx2.HTTPStatusError as error:
            return _unparsed(error, manifest)
        return _object(result.to_dict())

    def get(self, manifest: Mapping[str, Any]) -> dict[str, Any] | None:
        kind = self._kind(manifest)
        if kind is None:
            return None
        metadata = manifest["metadata"]
        try:
            return _object(
                self._call(
                    lambda: self.client.get(kind, metadata["name"], namespace=metadata.get("namespace"))
                ).to_dict()
            )
        except ApiError as error:
            if error.status.code == 404:
                return None
            raise ConnectionFailed(f"cannot read {ObjectId.of(manifest)}: {error.status.message}") from None

    def list(self, api_version: str, kind: str, namespace: str | None) -> dict[str, dict[str, Any]]:
        """Every object of a kind (in a namespace), by name: one request instead of one per object
        (pages of 500). The JSON is decoded straight into plain objects (orjson), not through
        lightkube's models: a plan of thousands of objects spends its time here otherwise."""
        resource = self._kind({"apiVersion": api_version, "kind": kind})
        if resource is None:
            return {}
        info = lightkube_resource.api_info(resource)
        group = info.resource.group
        path = f"/apis/{group}/{info.resource.version}" if group else f"/api/{info.resource.version}"
        if namespace and issubclass(resource, NamespacedResource | GenericNamespacedResource):
            path += f"/namespaces/{namespace}"
        path += f"/{info.plural}"
        found: dict[str, dict[str, Any]] = {}
        after = ""
        while True:
            params = {"limit": str(LIST_PAGE), **({"continue": after} if after else {})}
            response = self._call(partial(self._get, path, params))
            if response.status_code == 404 and not found and not after:
                return {}
            if response.status_code != 200:
                message = _status_message(response)
                raise ConnectionFailed(f"cannot list {kind}: {message}")
            page = orjson.loads(response.content)
            for item in page.get("items") or ():
                found[item["metadata"]["name"]] = {"apiVersion": api_version, "kind": kind, **item}
            after = (page.get("metadata") or {}).get("continue") or ""
            if not after:
                return found

    def events_about(self, namespace: str, uid: str) -> tuple[dict[str, Any], ...]:
        """The events the cluster still keeps about the object with `uid` (an hour, by default),
        even once the object itself is gone."""
        params = {"fieldSelector": f"involvedObject.uid={uid}", "limit": str(LIST_PAGE)}
        path = f"/api/v1/namespaces/{namespace}/events"
        response = self._call(partial(self._get, path, params))
        if response.status_code != 200:
            raise ConnectionFailed(f"cannot list the events of {namespace}: {_status_message(response)}")
        items = orjson.loads(response.content).get("items") or []
        return tuple(item for item in items if isinstance(item, dict))

    def _get(self, path: str, params: dict[str, str]) -> httpx2.Response:
        return self._http.get(path, params=params)

    @property
    def _http(self) -> httpx2.Client:
        """A plain HTTP client of this thread's own, configured as lightkube configures its own."""
        http = getattr(self._local, "http", None)
        if http is None:
            http = adapter_client(self._config, ConnectionParams(timeout=httpx2.Timeout(60.0), trust_env=False))
            self._local.http = http
        return http

    def create(
        self, manifest: Mapping[str, Any], field_manager: str = TASK_FIELD_MANAGER
    ) -> dict[str, Any] | ObjectError:
        """Create an object that must not exist yet (a conflict if it does): tasks' Secrets, events."""
        try:
            resource = self._resource(manifest)
            return _object(self._call(lambda: self.client.create(resource, field_manager=field_manager)).to_dict())
        except LoadResourceError:
            return ObjectError(Reason.UNKNOWN_KIND, f"the cluster has no kind {manifest['kind']}")
        except ApiError as error:
            return _classify(error)
        except httpx2.HTTPStatusError as error:
            return _unparsed(error, manifest)

    def merge_patch(self, manifest: Mapping[str, Any], patch: dict[str, Any]) -> dict[str, Any] | ObjectError:
        """A JSON merge patch of the object `manifest` names (kind, name, namespace)."""
        kind = self._kind(manifest)
        if kind is None:
            return ObjectError(Reason.UNKNOWN_KIND, f"the cluster has no kind {manifest['kind']}")
        metadata = manifest["metadata"]
        try:
            result = self._call(
                lambda: self.client.patch(
                    kind,
                    metadata["name"],
                    patch,
                    namespace=metadata.get("namespace"),
                    patch_type=PatchType.MERGE,
                    field_manager=TASK_FIELD_MANAGER,
                )
            )
        except ApiError as error:
            return _classify(error)
        return _object(result.to_dict())

    def apply_status(self, manifest: Mapping[str, Any], field_manager: str) -> dict[str, Any] | ObjectError:
        """Server-side apply of the object's `status` (its status subresource), owned by `field_manager`."""
        kind = self._kind(manifest)
        if kind is None:
            return ObjectError(Reason.UNKNOWN_KIND, f"the cluster has no kind {manifest['kind']}")
        metadata = manifest["metadata"]
        body = {"apiVersion": manifest["apiVersion"], "kind": manifest["kind"], "metadata": {"name": metadata["name"]}}
        body["status"] = manifest["status"]
        try:
            result = self._call(
                lambda: self.client.patch(
                    kind.Status,
                    metadata["name"],
                    body,
                    namespace=metadata.get("namespace"),
                    patch_type=PatchType.APPLY,
                    field_manager=field_manager,
                    force=True,
                )
            )
        except ApiError as error:
            return _classify(error)
        return _object(result.to_dict())

    def watch(
        self,
        api_version: str,
        kind: str,
        stop: threading.Event,
        on_event: Callable[[str, dict[str, Any]], None],
        server_timeout: int = 30,
    ) -> None:
        """Follow every object of a kind (in all namespaces) until `stop` is set: `on_event(type,
        object)` for each, ADDED for what exists when a watch (re)starts. A dropped watch starts
        again after a second; a kind the cluster does not serve ends at once."""
        resource = self._kind({"apiVersion": api_version, "kind": kind})
        if resource is None:
            return
        namespaced = issubclass(resource, NamespacedResource | GenericNamespacedResource)
        client = Client(config=self._config, field_manager=FIELD_MANAGER, trust_env=False)
        while not stop.is_set():
            try:
                for event, item in client.watch(
                    resource, namespace=ALL_NS if namespaced else None, server_timeout=server_timeout
                ):
                    if stop.is_set():
                        return
                    on_event(event, {"apiVersion": api_version, "kind": kind, **_object(item.to_dict())})
            except (ApiError, httpx2.HTTPError, ValueError):
                stop.wait(1.0)

    def service_proxy(self, namespace: str, service: str, port: str) -> tuple[httpx2.Client, str]:
        """An HTTP client and path prefix that reach a Service through the API server's proxy
        (with the kubeconfig's credentials, TLS and server, as lightkube configures its own
        client), for tasks that talk to an in-cluster API. The caller closes the client."""
        parameters = ConnectionParams(timeout=httpx2.Timeout(30.0), trust_env=False)
        http = adapter_client(self._config, parameters)
        return http, f"/api/v1/namespaces/{namespace}/services/{service}:{port}/proxy"

    def pod_log(self, namespace: str, pod: str, tail_lines: int = 500, limit_bytes: int = 512 * 1024) -> str:
        """The last lines a pod's (first) container wrote; ConnectionFailed with the API server's reason."""
        path = f"/api/v1/namespaces/{namespace}/pods/{pod}/log"
        params = {"tailLines": str(tail_lines), "limitBytes": str(limit_bytes)}
        response = self._call(partial(self._get, path, params))
        if response.status_code != 200:
            raise ConnectionFailed(f"no log of pod {namespace}/{pod}: {_status_message(response)}")
        return response.content.decode("utf-8", "replace")

    def delete(self, manifest: Mapping[str, Any], *, with_dependents: bool = False) -> ObjectError | None:
        """Delete an object (`with_dependents`: the objects it owns too, in the background, as a Job's
        pods; the API server's default for Jobs leaves them running)."""
        kind = self._kind(manifest)
        if kind is None:
            return None
        metadata = manifest["metadata"]
        cascade = CascadeType.BACKGROUND if with_dependents else None
        try:
            self._call(
                lambda: self.client.delete(kind, metadata["name"], namespace=metadata.get("namespace"), cascade=cascade)
            )
        except ApiError as error:
            if error.status.code == 404:
                return None
            return _classify(error)
        return None


def _unparsed(error: httpx2.HTTPStatusError, manifest: Mapping[str, Any]) -> ObjectError:
    """An answer that is not a Kubernetes Status: a 404 is a path the API server does not serve
    (the kind's CRD went away since the kinds were read)."""
    code = error.response.status_code
    if code == 404:
        return ObjectError(
            Reason.UNKNOWN_KIND, f"the cluster has no kind {manifest['kind']} in {manifest['apiVersion']}"
        )
    return ObjectError(Reason.OTHER, f"the API server answered HTTP {code}")


def _status_message(response: httpx2.Response) -> str:
    """The API server's own message from an error response (a Status object), else the status line."""
    try:
        status = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        status = None
    if isinstance(status, dict) and isinstance(status.get("message"), str):
        return str(status["message"])
    return f"HTTP {response.status_code}"


def _object(value: Any) -> dict[str, Any]:
    """An object as the API server returned it (lightkube's to_dict), checked to be one."""
    if not isinstance(value, dict):
        raise ConnectionFailed(f"the API server returned {type(value).__name__}, not an object")
    return value


def discovered_kinds(found: Mapping[str, Any]) -> list[tuple[str, str, str, bool]]:
    """(apiVersion, kind, plural, namespaced) of every kind an aggregated discovery answer lists;
    a kind several resources serve (each external metric is one) is named by the first."""
    kinds: dict[tuple[str, str], tuple[str, str, str, bool]] = {}
    for group in found.get("items") or ():
        name = (group.get("metadata") or {}).get("name") or ""
        for version in group.get("versions") or ():
            for resource in version.get("resources") or ():
                kind = (resource.get("responseKind") or {}).get("kind")
                plural = resource.get("resource") or ""
                if not kind or not plural or "/" in plural:
                    continue
                api_version = f"{name}/{version.get('version')}"
                kinds.setdefault(
                    (api_version, kind), (api_version, kind, plural, resource.get("scope") == "Namespaced")
                )
    return list(kinds.values())


def _builtin(manifest: Mapping[str, Any]) -> Any:
    try:
        return resource_registry.load(manifest["apiVersion"], manifest["kind"])
    except LoadResourceError:
        return None


def _classify(error: ApiError) -> ObjectError:
    status = error.status
    message = status.message or str(error)
    code = status.code
    if code == 404 and "namespaces" in message:
        return ObjectError(Reason.NOT_FOUND_NAMESPACE, message)
    if code == 404:
        return ObjectError(Reason.UNKNOWN_KIND, message)
    if code == 409:
        return ObjectError(Reason.CONFLICT, message)
    if code == 422 and ("immutable" in message or "updates may not change fields" in message):
        return ObjectError(Reason.IMMUTABLE, message)  # the second: how Pods say their spec is immutable
    if code == 422:
        return ObjectError(Reason.INVALID, message)
    if code == 403:
        return ObjectError(Reason.FORBIDDEN, message)
    return ObjectError(Reason.OTHER, f"{code}: {message}")
