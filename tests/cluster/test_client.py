"""Dockyard's client against the real API server."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from lightkube import Client
from lightkube.core.resource_registry import resource_registry
from lightkube.models.apps_v1 import DeploymentSpec
from lightkube.models.core_v1 import Container, PodSpec, PodTemplateSpec, ServicePort, ServiceSpec
from lightkube.models.meta_v1 import LabelSelector, ObjectMeta
from lightkube.resources.apps_v1 import Deployment
from lightkube.resources.core_v1 import ConfigMap, Service

from dockyard.deploy import client as client_module
from dockyard.deploy.client import Connection
from dockyard.localcluster import control_plane


def test_a_list_decoded_as_plain_json_is_what_lightkube_decodes_page_after_page(
    local_cluster: control_plane.Running, api: Client, namespace: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Markers and diffs compare these objects with what lightkube decodes: they must be the same."""
    labels = {"app": "web"}
    api.create(
        Deployment(
            metadata=ObjectMeta(name="web", namespace=namespace, annotations={"note": "a"}),
            spec=DeploymentSpec(
                replicas=2,
                selector=LabelSelector(matchLabels=labels),
                template=PodTemplateSpec(
                    metadata=ObjectMeta(labels=labels),
                    spec=PodSpec(containers=[Container(name="main", image="registry.example.org/web:1")]),
                ),
            ),
        )
    )
    api.create(
        Service(
            metadata=ObjectMeta(name="web", namespace=namespace),
            spec=ServiceSpec(selector=labels, ports=[ServicePort(port=80, targetPort=8080)]),
        )
    )
    for index in range(5):
        api.create(ConfigMap(metadata=ObjectMeta(name=f"c{index}", namespace=namespace), data={"k": str(index)}))
    monkeypatch.setattr(client_module, "LIST_PAGE", 2)  # five ConfigMaps and a root CA: three pages
    connection = Connection(Path(local_cluster.kubeconfig), local_cluster.context)
    for api_version, kind, where in (
        ("apps/v1", "Deployment", namespace),
        ("v1", "Service", namespace),
        ("v1", "ConfigMap", namespace),
        ("v1", "Namespace", None),
        ("apiextensions.k8s.io/v1", "CustomResourceDefinition", None),
        ("rbac.authorization.k8s.io/v1", "ClusterRole", None),
    ):
        resource = resource_registry.load(api_version, kind)
        for _attempt in range(20):  # objects change under two reads (a Deployment's status, other tests): again
            typed = {o.metadata.name: o.to_dict() for o in api.list(resource, namespace=where)}
            plain = connection.list(api_version, kind, where)
            versions = {n: o["metadata"].get("resourceVersion") for n, o in plain.items()}
            if versions == {n: o["metadata"].get("resourceVersion") for n, o in typed.items()}:
                break
            time.sleep(0.5)
        assert plain.keys() == typed.keys(), kind
        for name, obj in typed.items():
            assert plain[name] == {"apiVersion": api_version, "kind": kind, **obj}, (kind, name)
    assert len(connection.list("v1", "ConfigMap", namespace)) == 6
