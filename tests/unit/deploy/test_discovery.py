"""The kinds an aggregated discovery answer lists, as the API server writes it (kube-apiserver
1.36, `/apis` with `Accept: ...;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList`)."""

from __future__ import annotations

from dockyard.deploy.client import Connection, discovered_kinds

ANSWER = {
    "kind": "APIGroupDiscoveryList",
    "apiVersion": "apidiscovery.k8s.io/v2",
    "items": [
        {
            "metadata": {"name": "gateway.networking.k8s.io"},
            "versions": [
                {
                    "version": "v1",
                    "resources": [
                        {
                            "resource": "httproutes",
                            "responseKind": {"group": "", "version": "", "kind": "HTTPRoute"},
                            "scope": "Namespaced",
                            "subresources": [{"subresource": "status", "responseKind": {"kind": "HTTPRoute"}}],
                        },
                        {
                            "resource": "gatewayclasses",
                            "responseKind": {"group": "", "version": "", "kind": "GatewayClass"},
                            "scope": "Cluster",
                        },
                    ],
                }
            ],
        },
        {  # prometheus-adapter: each external metric is a resource of the same kind
            "metadata": {"name": "external.metrics.k8s.io"},
            "versions": [
                {
                    "version": "v1beta1",
                    "resources": [
                        {
                            "resource": "queue_depth",
                            "responseKind": {"kind": "ExternalMetricValueList"},
                            "scope": "Namespaced",
                        },
                        {"resource": "lag", "responseKind": {"kind": "ExternalMetricValueList"}, "scope": "Namespaced"},
                    ],
                }
            ],
        },
    ],
}


def test_each_kind_once_with_its_plural_and_scope() -> None:
    assert discovered_kinds(ANSWER) == [
        ("gateway.networking.k8s.io/v1", "HTTPRoute", "httproutes", True),
        ("gateway.networking.k8s.io/v1", "GatewayClass", "gatewayclasses", False),
        ("external.metrics.k8s.io/v1beta1", "ExternalMetricValueList", "queue_depth", True),
    ]


def test_registering_a_kind_twice_with_another_plural_is_harmless() -> None:
    register = Connection._register
    register("external.metrics.k8s.io/v1beta1", "ExternalMetricValueList", "queue_depth", True)
    register("external.metrics.k8s.io/v1beta1", "ExternalMetricValueList", "lag", True)  # lightkube refuses: kept
