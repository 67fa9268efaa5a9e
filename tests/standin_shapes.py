"""The shapes of the real charts the stand-ins stand in for (tests/standin_charts.py): for each
component, what its pinned chart renders with Dockyard's values, as far as the wiring reads it:
workloads (kind, pod labels, containers and their ports), Services (labels, selector, ports),
ServiceMonitors, the Prometheus Operator's objects, and where admission webhooks send. Read from
the real charts rendered with `helm template` and Dockyard's values of the `complete` profile; each
entry says at which revision: the pin itself, or the nearest tag this machine could read, where
the pin's release notes change none of it (loki 18.11.4, .5, .7: image updates; tempo 2.3.0: an optional
HTTPRoute, off by default; kube-prometheus-stack 88.6.x: HTTPRoute timeouts, dependency updates).
Prometheus' and Alertmanager's pods come from the operator (labels in tests/standin_charts.py).
Data only: the stand-ins build their objects from it."""

from __future__ import annotations

from typing import Any

READ_AT: dict[str, str] = {
    "istio-base": "istio/istio tag 1.30.3, manifests/charts/base",
    "istio-cni": "istio/istio tag 1.30.3, manifests/charts/istio-cni",
    "istiod": "istio/istio tag 1.30.3, manifests/charts/istio-control/istio-discovery",
    "keycloak": "codecentric/helm-charts tag keycloakx-7.0.1",
    "kube-prometheus-stack": "prometheus-community/helm-charts tag kube-prometheus-stack-88.5.3, grafana-12.11.1",
    "loki": "grafana-community/helm-charts tag loki-18.11.0",
    "oauth2-proxy": "oauth2-proxy/manifests tag oauth2-proxy-7.12.0",
    "opentelemetry-collector": "open-telemetry/opentelemetry-helm-charts tag opentelemetry-collector-0.120.0",
    "tempo": "grafana-community/helm-charts tag tempo-2.2.4",
    "ztunnel": "istio/istio tag 1.30.3, manifests/charts/ztunnel",
}
"""Where each shape was read."""

SHAPES: dict[str, list[dict[str, Any]]] = {
    "istio-base": [
        {
            "kind": "ValidatingWebhookConfiguration",
            "name": "istiod-default-validator",
            "webhooks": [
                {
                    "name": "validation.istio.io",
                    "service": {"name": "istiod", "namespace": "istio-system", "path": "/validate"},
                    "failurePolicy": "Ignore",
                }
            ],
        }
    ],
    "istio-cni": [
        {
            "kind": "DaemonSet",
            "name": "istio-cni-node",
            "labels": {
                "k8s-app": "istio-cni-node",
                "sidecar.istio.io/inject": "false",
                "istio.io/dataplane-mode": "none",
                "app.kubernetes.io/name": "istio-cni",
                "app.kubernetes.io/managed-by": "Helm",
                "app.kubernetes.io/instance": "istio-cni",
                "app.kubernetes.io/part-of": "istio",
                "app.kubernetes.io/version": "1.0.0",
                "helm.sh/chart": "cni-1.0.0",
            },
            "selector": {"k8s-app": "istio-cni-node"},
            "containers": [{"name": "install-cni", "ports": [{"name": "metrics", "containerPort": 15014}]}],
        }
    ],
    "istiod": [
        {
            "kind": "Service",
            "name": "istiod",
            "labels": {
                "istio.io/rev": "default",
                "install.operator.istio.io/owning-resource": "unknown",
                "operator.istio.io/component": "Pilot",
                "app": "istiod",
                "istio": "pilot",
                "release": "istiod",
                "app.kubernetes.io/name": "istiod",
                "app.kubernetes.io/managed-by": "Helm",
                "app.kubernetes.io/instance": "istiod",
                "app.kubernetes.io/part-of": "istio",
                "app.kubernetes.io/version": "1.0.0",
                "helm.sh/chart": "istiod-1.0.0",
            },
            "selector": {"app": "istiod", "istio": "pilot"},
            "ports": [
                {"name": "grpc-xds", "port": 15010},
                {"name": "https-dns", "port": 15012},
                {"name": "https-webhook", "port": 443, "targetPort": 15017},
                {"name": "http-monitoring", "port": 15014},
            ],
        },
        {
            "kind": "Deployment",
            "name": "istiod",
            "labels": {
                "app": "istiod",
                "istio.io/rev": "default",
                "install.operator.istio.io/owning-resource": "unknown",
                "sidecar.istio.io/inject": "false",
                "operator.istio.io/component": "Pilot",
                "istio": "pilot",
                "istio.io/dataplane-mode": "none",
                "app.kubernetes.io/name": "istiod",
                "app.kubernetes.io/managed-by": "Helm",
                "app.kubernetes.io/instance": "istiod",
                "app.kubernetes.io/part-of": "istio",
                "app.kubernetes.io/version": "1.0.0",
                "helm.sh/chart": "istiod-1.0.0",
            },
            "selector": {"istio": "pilot"},
            "containers": [
                {
                    "name": "discovery",
                    "ports": [
                        {"name": "http-debug", "containerPort": 8080},
                        {"name": "grpc-xds", "containerPort": 15010},
                        {"name": "tls-xds", "containerPort": 15012},
                        {"name": "https-webhooks", "containerPort": 15017},
                        {"name": "http-monitoring", "containerPort": 15014},
                    ],
                }
            ],
        },
        {
            "kind": "MutatingWebhookConfiguration",
            "name": "istio-sidecar-injector",
            "webhooks": [
                {
                    "name": "rev.namespace.sidecar-injector.istio.io",
                    "service": {"name": "istiod", "namespace": "istio-system", "path": "/inject", "port": 443},
                    "failurePolicy": "Fail",
                },
                {
                    "name": "rev.object.sidecar-injector.istio.io",
                    "service": {"name": "istiod", "namespace": "istio-system", "path": "/inject", "port": 443},
                    "failurePolicy": "Fail",
                },
                {
                    "name": "namespace.sidecar-injector.istio.io",
                    "service": {"name": "istiod", "namespace": "istio-system", "path": "/inject", "port": 443},
                    "failurePolicy": "Fail",
                },
                {
                    "name": "object.sidecar-injector.istio.io",
                    "service": {"name": "istiod", "namespace": "istio-system", "path": "/inject", "port": 443},
                    "failurePolicy": "Fail",
                },
            ],
        },
        {
            "kind": "ValidatingWebhookConfiguration",
            "name": "istio-validator-istio-system",
            "webhooks": [
                {
                    "name": "rev.validation.istio.io",
                    "service": {"name": "istiod", "namespace": "istio-system", "path": "/validate"},
                    "failurePolicy": "Ignore",
                }
            ],
        },
    ],
    "keycloak": [
        {
            "kind": "Service",
            "name": "keycloak-headless",
            "labels": {
                "helm.sh/chart": "keycloakx-7.0.1",
                "app.kubernetes.io/name": "keycloakx",
                "app.kubernetes.io/instance": "keycloak",
                "app.kubernetes.io/version": "26.0.7",
                "app.kubernetes.io/managed-by": "Helm",
                "app.kubernetes.io/component": "headless",
            },
            "selector": {"app.kubernetes.io/name": "keycloakx", "app.kubernetes.io/instance": "keycloak"},
            "ports": [{"name": "http", "port": 80, "targetPort": "http"}],
        },
        {
            "kind": "Service",
            "name": "keycloak-http",
            "labels": {
                "helm.sh/chart": "keycloakx-7.0.1",
                "app.kubernetes.io/name": "keycloakx",
                "app.kubernetes.io/instance": "keycloak",
                "app.kubernetes.io/version": "26.0.7",
                "app.kubernetes.io/managed-by": "Helm",
                "app.kubernetes.io/component": "http",
            },
            "selector": {"app.kubernetes.io/name": "keycloakx", "app.kubernetes.io/instance": "keycloak"},
            "ports": [
                {"name": "http-internal", "port": 9000, "targetPort": "http-internal"},
                {"name": "http", "port": 80, "targetPort": "http"},
                {"name": "https", "port": 8443, "targetPort": "https"},
            ],
        },
        {
            "kind": "StatefulSet",
            "name": "keycloak",
            "labels": {"app.kubernetes.io/name": "keycloakx", "app.kubernetes.io/instance": "keycloak"},
            "selector": {"app.kubernetes.io/name": "keycloakx", "app.kubernetes.io/instance": "keycloak"},
            "containers": [
                {
                    "name": "keycloak",
                    "ports": [
                        {"name": "http", "containerPort": 8080},
                        {"name": "http-internal", "containerPort": 9000},
                        {"name": "https", "containerPort": 8443},
                    ],
                }
            ],
        },
        {
            "kind": "ServiceMonitor",
            "name": "keycloak-keycloakx",
            "labels": {
                "helm.sh/chart": "keycloakx-7.0.1",
                "app.kubernetes.io/name": "keycloakx",
                "app.kubernetes.io/instance": "keycloak",
                "app.kubernetes.io/version": "26.0.7",
                "app.kubernetes.io/managed-by": "Helm",
            },
            "spec": {
                "selector": {
                    "matchLabels": {
                        "app.kubernetes.io/name": "keycloakx",
                        "app.kubernetes.io/instance": "keycloak",
                        "app.kubernetes.io/component": "http",
                    }
                },
                "endpoints": [{"port": "http-internal", "path": "/metrics", "scheme": "http"}],
            },
        },
    ],
    "kube-prometheus-stack": [
        {
            "kind": "Service",
            "name": "kube-prometheus-stack-grafana",
            "labels": {
                "helm.sh/chart": "grafana-12.11.1",
                "app.kubernetes.io/name": "grafana",
                "app.kubernetes.io/instance": "kube-prometheus-stack",
                "app.kubernetes.io/version": "13.2.0",
            },
            "selector": {"app.kubernetes.io/name": "grafana", "app.kubernetes.io/instance": "kube-prometheus-stack"},
            "ports": [{"name": "http-web", "port": 80, "targetPort": "grafana"}],
        },
        {
            "kind": "Service",
            "name": "kube-prometheus-stack-alertmanager",
            "labels": {
                "app": "kube-prometheus-stack-alertmanager",
                "self-monitor": "true",
                "app.kubernetes.io/managed-by": "Helm",
                "app.kubernetes.io/instance": "kube-prometheus-stack",
                "app.kubernetes.io/version": "88.5.3",
                "app.kubernetes.io/part-of": "kube-prometheus-stack",
                "chart": "kube-prometheus-stack-88.5.3",
                "release": "kube-prometheus-stack",
                "heritage": "Helm",
            },
            "selector": {
                "app.kubernetes.io/name": "alertmanager",
                "alertmanager": "kube-prometheus-stack-alertmanager",
            },
            "ports": [
                {"name": "http-web", "port": 9093, "targetPort": 9093},
                {"name": "reloader-web", "port": 8080, "targetPort": "reloader-web"},
            ],
        },
        {
            "kind": "Service",
            "name": "kube-prometheus-stack-coredns",
            "namespace": "kube-system",
            "labels": {
                "app": "kube-prometheus-stack-coredns",
                "jobLabel": "coredns",
                "app.kubernetes.io/managed-by": "Helm",
                "app.kubernetes.io/instance": "kube-prometheus-stack",
                "app.kubernetes.io/version": "88.5.3",
                "app.kubernetes.io/part-of": "kube-prometheus-stack",
                "chart": "kube-prometheus-stack-88.5.3",
                "release": "kube-prometheus-stack",
                "heritage": "Helm",
            },
            "selector": {"k8s-app": "kube-dns"},
            "ports": [{"name": "http-metrics", "port": 9153, "targetPort": 9153}],
        },
        {
            "kind": "Service",
            "name": "kube-prometheus-stack-kube-controller-manager",
            "namespace": "kube-system",
            "labels": {
                "app": "kube-prometheus-stack-kube-controller-manager",
                "jobLabel": "kube-controller-manager",
                "app.kubernetes.io/managed-by": "Helm",
                "app.kubernetes.io/instance": "kube-prometheus-stack",
                "app.kubernetes.io/version": "88.5.3",
                "app.kubernetes.io/part-of": "kube-prometheus-stack",
                "chart": "kube-prometheus-stack-88.5.3",
                "release": "kube-prometheus-stack",
                "heritage": "Helm",
            },
            "selector": {"component": "kube-controller-manager"},
            "ports": [{"name": "http-metrics", "port": 10257, "targetPort": 10257}],
        },
        {
            "kind": "Service",
            "name": "kube-prometheus-stack-kube-etcd",
            "namespace": "kube-system",
            "labels": {
                "app": "kube-prometheus-stack-kube-etcd",
                "jobLabel": "kube-etcd",
                "app.kubernetes.io/managed-by": "Helm",
                "app.kubernetes.io/instance": "kube-prometheus-stack",
                "app.kubernetes.io/version": "88.5.3",
                "app.kubernetes.io/part-of": "kube-prometheus-stack",
                "chart": "kube-prometheus-stack-88.5.3",
                "release": "kube-prometheus-stack",
                "heritage": "Helm",
            },
            "selector": {"component": "etcd"},
            "ports": [{"name": "http-metrics", "port": 2381, "targetPort": 2381}],
        },
        {
            "kind": "Service",
            "name": "kube-prometheus-stack-kube-proxy",
            "namespace": "kube-system",
            "labels": {
                "app": "kube-prometheus-stack-kube-proxy",
                "jobLabel": "kube-proxy",
                "app.kubernetes.io/managed-by": "Helm",
                "app.kubernetes.io/instance": "kube-prometheus-stack",
                "app.kubernetes.io/version": "88.5.3",
                "app.kubernetes.io/part-of": "kube-prometheus-stack",
                "chart": "kube-prometheus-stack-88.5.3",
                "release": "kube-prometheus-stack",
                "heritage": "Helm",
            },
            "selector": {"k8s-app": "kube-proxy"},
            "ports": [{"name": "http-metrics", "port": 10249, "targetPort": 10249}],
        },
        {
            "kind": "Service",
            "name": "kube-prometheus-stack-kube-scheduler",
            "namespace": "kube-system",
            "labels": {
                "app": "kube-prometheus-stack-kube-scheduler",
                "jobLabel": "kube-scheduler",
                "app.kubernetes.io/managed-by": "Helm",
                "app.kubernetes.io/instance": "kube-prometheus-stack",
                "app.kubernetes.io/version": "88.5.3",
                "app.kubernetes.io/part-of": "kube-prometheus-stack",
                "chart": "kube-prometheus-stack-88.5.3",
                "release": "kube-prometheus-stack",
                "heritage": "Helm",
            },
            "selector": {"component": "kube-scheduler"},
            "ports": [{"name": "http-metrics", "port": 10259, "targetPort": 10259}],
        },
        {
            "kind": "Service",
            "name": "kube-prometheus-stack-operator",
            "labels": {
                "app.kubernetes.io/managed-by": "Helm",
                "app.kubernetes.io/instance": "kube-prometheus-stack",
                "app.kubernetes.io/version": "88.5.3",
                "app.kubernetes.io/part-of": "kube-prometheus-stack",
                "chart": "kube-prometheus-stack-88.5.3",
                "release": "kube-prometheus-stack",
                "heritage": "Helm",
                "app": "kube-prometheus-stack-operator",
                "app.kubernetes.io/name": "kube-prometheus-stack-prometheus-operator",
                "app.kubernetes.io/component": "prometheus-operator",
            },
            "selector": {"app": "kube-prometheus-stack-operator", "release": "kube-prometheus-stack"},
            "ports": [{"name": "https", "port": 443, "targetPort": "https"}],
        },
        {
            "kind": "Service",
            "name": "kube-prometheus-stack-prometheus",
            "labels": {
                "app": "kube-prometheus-stack-prometheus",
                "self-monitor": "true",
                "app.kubernetes.io/managed-by": "Helm",
                "app.kubernetes.io/instance": "kube-prometheus-stack",
                "app.kubernetes.io/version": "88.5.3",
                "app.kubernetes.io/part-of": "kube-prometheus-stack",
                "chart": "kube-prometheus-stack-88.5.3",
                "release": "kube-prometheus-stack",
                "heritage": "Helm",
            },
            "selector": {
                "app.kubernetes.io/name": "prometheus",
                "operator.prometheus.io/name": "kube-prometheus-stack-prometheus",
            },
            "ports": [
                {"name": "http-web", "port": 9090, "targetPort": 9090},
                {"name": "reloader-web", "port": 8080, "targetPort": "reloader-web"},
            ],
        },
        {
            "kind": "Deployment",
            "name": "kube-prometheus-stack-grafana",
            "labels": {
                "helm.sh/chart": "grafana-12.11.1",
                "app.kubernetes.io/name": "grafana",
                "app.kubernetes.io/instance": "kube-prometheus-stack",
                "app.kubernetes.io/version": "13.2.0",
            },
            "selector": {"app.kubernetes.io/name": "grafana", "app.kubernetes.io/instance": "kube-prometheus-stack"},
            "containers": [
                {"name": "grafana-sc-dashboard", "ports": []},
                {"name": "grafana-sc-datasources", "ports": []},
                {
                    "name": "grafana",
                    "ports": [
                        {"name": "grafana", "containerPort": 3000},
                        {"name": "gossip-tcp", "containerPort": 9094},
                        {"name": "gossip-udp", "containerPort": 9094, "protocol": "UDP"},
                        {"name": "profiling", "containerPort": 6060},
                    ],
                },
            ],
        },
        {
            "kind": "Deployment",
            "name": "kube-prometheus-stack-operator",
            "labels": {
                "app.kubernetes.io/managed-by": "Helm",
                "app.kubernetes.io/instance": "kube-prometheus-stack",
                "app.kubernetes.io/version": "88.5.3",
                "app.kubernetes.io/part-of": "kube-prometheus-stack",
                "chart": "kube-prometheus-stack-88.5.3",
                "release": "kube-prometheus-stack",
                "heritage": "Helm",
                "app": "kube-prometheus-stack-operator",
                "app.kubernetes.io/name": "kube-prometheus-stack-prometheus-operator",
                "app.kubernetes.io/component": "prometheus-operator",
            },
            "selector": {"app": "kube-prometheus-stack-operator", "release": "kube-prometheus-stack"},
            "containers": [{"name": "kube-prometheus-stack", "ports": [{"name": "https", "containerPort": 10250}]}],
        },
        {
            "kind": "Alertmanager",
            "name": "kube-prometheus-stack-alertmanager",
            "labels": {
                "app": "kube-prometheus-stack-alertmanager",
                "app.kubernetes.io/managed-by": "Helm",
                "app.kubernetes.io/instance": "kube-prometheus-stack",
                "app.kubernetes.io/version": "88.5.3",
                "app.kubernetes.io/part-of": "kube-prometheus-stack",
                "chart": "kube-prometheus-stack-88.5.3",
                "release": "kube-prometheus-stack",
                "heritage": "Helm",
            },
        },
        {
            "kind": "MutatingWebhookConfiguration",
            "name": "kube-prometheus-stack-admission",
            "webhooks": [
                {
                    "name": "prometheusrulemutate.monitoring.coreos.com",
                    "service": {
                        "namespace": "dockyard-monitoring",
                        "name": "kube-prometheus-stack-operator",
                        "path": "/admission-prometheusrules/mutate",
                    },
                    "failurePolicy": "Ignore",
                }
            ],
        },
        {
            "kind": "Prometheus",
            "name": "kube-prometheus-stack-prometheus",
            "labels": {
                "app": "kube-prometheus-stack-prometheus",
                "app.kubernetes.io/managed-by": "Helm",
                "app.kubernetes.io/instance": "kube-prometheus-stack",
                "app.kubernetes.io/version": "88.5.3",
                "app.kubernetes.io/part-of": "kube-prometheus-stack",
                "chart": "kube-prometheus-stack-88.5.3",
                "release": "kube-prometheus-stack",
                "heritage": "Helm",
            },
        },
        {
            "kind": "ServiceMonitor",
            "name": "kube-prometheus-stack-grafana",
            "labels": {
                "release": "kube-prometheus-stack",
                "helm.sh/chart": "grafana-12.11.1",
                "app.kubernetes.io/name": "grafana",
                "app.kubernetes.io/instance": "kube-prometheus-stack",
                "app.kubernetes.io/version": "13.2.0",
            },
            "spec": {
                "selector": {
                    "matchLabels": {
                        "app.kubernetes.io/name": "grafana",
                        "app.kubernetes.io/instance": "kube-prometheus-stack",
                    }
                },
                "namespaceSelector": {"matchNames": ["dockyard-monitoring"]},
                "jobLabel": "kube-prometheus-stack",
                "endpoints": [{"port": "http-web", "path": "/metrics", "scheme": "http"}],
            },
        },
        {
            "kind": "ServiceMonitor",
            "name": "kube-prometheus-stack-alertmanager",
            "labels": {
                "app": "kube-prometheus-stack-alertmanager",
                "app.kubernetes.io/managed-by": "Helm",
                "app.kubernetes.io/instance": "kube-prometheus-stack",
                "app.kubernetes.io/version": "88.5.3",
                "app.kubernetes.io/part-of": "kube-prometheus-stack",
                "chart": "kube-prometheus-stack-88.5.3",
                "release": "kube-prometheus-stack",
                "heritage": "Helm",
            },
            "spec": {
                "selector": {
                    "matchLabels": {
                        "app": "kube-prometheus-stack-alertmanager",
                        "release": "kube-prometheus-stack",
                        "self-monitor": "true",
                    }
                },
                "namespaceSelector": {"matchNames": ["dockyard-monitoring"]},
                "endpoints": [{"port": "http-web", "path": "/metrics"}, {"port": "reloader-web", "path": "/metrics"}],
            },
        },
        {
            "kind": "ServiceMonitor",
            "name": "kube-prometheus-stack-coredns",
            "labels": {
                "app": "kube-prometheus-stack-coredns",
                "app.kubernetes.io/managed-by": "Helm",
                "app.kubernetes.io/instance": "kube-prometheus-stack",
                "app.kubernetes.io/version": "88.5.3",
                "app.kubernetes.io/part-of": "kube-prometheus-stack",
                "chart": "kube-prometheus-stack-88.5.3",
                "release": "kube-prometheus-stack",
                "heritage": "Helm",
            },
            "spec": {
                "selector": {
                    "matchLabels": {"app": "kube-prometheus-stack-coredns", "release": "kube-prometheus-stack"}
                },
                "namespaceSelector": {"matchNames": ["kube-system"]},
                "jobLabel": "jobLabel",
                "endpoints": [{"port": "http-metrics"}],
            },
        },
        {
            "kind": "ServiceMonitor",
            "name": "kube-prometheus-stack-apiserver",
            "labels": {
                "app": "kube-prometheus-stack-apiserver",
                "app.kubernetes.io/managed-by": "Helm",
                "app.kubernetes.io/instance": "kube-prometheus-stack",
                "app.kubernetes.io/version": "88.5.3",
                "app.kubernetes.io/part-of": "kube-prometheus-stack",
                "chart": "kube-prometheus-stack-88.5.3",
                "release": "kube-prometheus-stack",
                "heritage": "Helm",
            },
            "spec": {
                "selector": {"matchLabels": {"component": "apiserver", "provider": "kubernetes"}},
                "namespaceSelector": {"matchNames": ["default"]},
                "jobLabel": "component",
                "endpoints": [{"port": "https", "scheme": "https"}],
            },
        },
        {
            "kind": "ServiceMonitor",
            "name": "kube-prometheus-stack-kube-controller-manager",
            "labels": {
                "app": "kube-prometheus-stack-kube-controller-manager",
                "app.kubernetes.io/managed-by": "Helm",
                "app.kubernetes.io/instance": "kube-prometheus-stack",
                "app.kubernetes.io/version": "88.5.3",
                "app.kubernetes.io/part-of": "kube-prometheus-stack",
                "chart": "kube-prometheus-stack-88.5.3",
                "release": "kube-prometheus-stack",
                "heritage": "Helm",
            },
            "spec": {
                "selector": {
                    "matchLabels": {
                        "app": "kube-prometheus-stack-kube-controller-manager",
                        "release": "kube-prometheus-stack",
                    }
                },
                "namespaceSelector": {"matchNames": ["kube-system"]},
                "jobLabel": "jobLabel",
                "endpoints": [{"port": "http-metrics", "scheme": "https"}],
            },
        },
        {
            "kind": "ServiceMonitor",
            "name": "kube-prometheus-stack-kube-etcd",
            "labels": {
                "app": "kube-prometheus-stack-kube-etcd",
                "app.kubernetes.io/managed-by": "Helm",
                "app.kubernetes.io/instance": "kube-prometheus-stack",
                "app.kubernetes.io/version": "88.5.3",
                "app.kubernetes.io/part-of": "kube-prometheus-stack",
                "chart": "kube-prometheus-stack-88.5.3",
                "release": "kube-prometheus-stack",
                "heritage": "Helm",
            },
            "spec": {
                "selector": {
                    "matchLabels": {"app": "kube-prometheus-stack-kube-etcd", "release": "kube-prometheus-stack"}
                },
                "namespaceSelector": {"matchNames": ["kube-system"]},
                "jobLabel": "jobLabel",
                "endpoints": [{"port": "http-metrics"}],
            },
        },
        {
            "kind": "ServiceMonitor",
            "name": "kube-prometheus-stack-kube-proxy",
            "labels": {
                "app": "kube-prometheus-stack-kube-proxy",
                "app.kubernetes.io/managed-by": "Helm",
                "app.kubernetes.io/instance": "kube-prometheus-stack",
                "app.kubernetes.io/version": "88.5.3",
                "app.kubernetes.io/part-of": "kube-prometheus-stack",
                "chart": "kube-prometheus-stack-88.5.3",
                "release": "kube-prometheus-stack",
                "heritage": "Helm",
            },
            "spec": {
                "selector": {
                    "matchLabels": {"app": "kube-prometheus-stack-kube-proxy", "release": "kube-prometheus-stack"}
                },
                "namespaceSelector": {"matchNames": ["kube-system"]},
                "jobLabel": "jobLabel",
                "endpoints": [{"port": "http-metrics"}],
            },
        },
        {
            "kind": "ServiceMonitor",
            "name": "kube-prometheus-stack-kube-scheduler",
            "labels": {
                "app": "kube-prometheus-stack-kube-scheduler",
                "app.kubernetes.io/managed-by": "Helm",
                "app.kubernetes.io/instance": "kube-prometheus-stack",
                "app.kubernetes.io/version": "88.5.3",
                "app.kubernetes.io/part-of": "kube-prometheus-stack",
                "chart": "kube-prometheus-stack-88.5.3",
                "release": "kube-prometheus-stack",
                "heritage": "Helm",
            },
            "spec": {
                "selector": {
                    "matchLabels": {"app": "kube-prometheus-stack-kube-scheduler", "release": "kube-prometheus-stack"}
                },
                "namespaceSelector": {"matchNames": ["kube-system"]},
                "jobLabel": "jobLabel",
                "endpoints": [{"port": "http-metrics", "scheme": "https"}],
            },
        },
        {
            "kind": "ServiceMonitor",
            "name": "kube-prometheus-stack-kubelet",
            "labels": {
                "app": "kube-prometheus-stack-kubelet",
                "app.kubernetes.io/managed-by": "Helm",
                "app.kubernetes.io/instance": "kube-prometheus-stack",
                "app.kubernetes.io/version": "88.5.3",
                "app.kubernetes.io/part-of": "kube-prometheus-stack",
                "chart": "kube-prometheus-stack-88.5.3",
                "release": "kube-prometheus-stack",
                "heritage": "Helm",
            },
            "spec": {
                "selector": {"matchLabels": {"app.kubernetes.io/name": "kubelet", "k8s-app": "kubelet"}},
                "namespaceSelector": {"matchNames": ["kube-system"]},
                "jobLabel": "k8s-app",
                "endpoints": [
                    {"port": "https-metrics", "scheme": "https"},
                    {"port": "https-metrics", "path": "/metrics/cadvisor", "scheme": "https"},
                    {"port": "https-metrics", "path": "/metrics/probes", "scheme": "https"},
                ],
            },
        },
        {
            "kind": "ServiceMonitor",
            "name": "kube-prometheus-stack-operator",
            "labels": {
                "app.kubernetes.io/managed-by": "Helm",
                "app.kubernetes.io/instance": "kube-prometheus-stack",
                "app.kubernetes.io/version": "88.5.3",
                "app.kubernetes.io/part-of": "kube-prometheus-stack",
                "chart": "kube-prometheus-stack-88.5.3",
                "release": "kube-prometheus-stack",
                "heritage": "Helm",
                "app": "kube-prometheus-stack-operator",
                "app.kubernetes.io/name": "kube-prometheus-stack-prometheus-operator",
                "app.kubernetes.io/component": "prometheus-operator",
            },
            "spec": {
                "selector": {
                    "matchLabels": {"app": "kube-prometheus-stack-operator", "release": "kube-prometheus-stack"}
                },
                "namespaceSelector": {"matchNames": ["dockyard-monitoring"]},
                "endpoints": [{"port": "https", "scheme": "https"}],
            },
        },
        {
            "kind": "ServiceMonitor",
            "name": "kube-prometheus-stack-prometheus",
            "labels": {
                "app": "kube-prometheus-stack-prometheus",
                "app.kubernetes.io/managed-by": "Helm",
                "app.kubernetes.io/instance": "kube-prometheus-stack",
                "app.kubernetes.io/version": "88.5.3",
                "app.kubernetes.io/part-of": "kube-prometheus-stack",
                "chart": "kube-prometheus-stack-88.5.3",
                "release": "kube-prometheus-stack",
                "heritage": "Helm",
            },
            "spec": {
                "selector": {
                    "matchLabels": {
                        "app": "kube-prometheus-stack-prometheus",
                        "release": "kube-prometheus-stack",
                        "self-monitor": "true",
                    }
                },
                "namespaceSelector": {"matchNames": ["dockyard-monitoring"]},
                "endpoints": [{"port": "http-web", "path": "/metrics"}, {"port": "reloader-web", "path": "/metrics"}],
            },
        },
        {
            "kind": "ValidatingWebhookConfiguration",
            "name": "kube-prometheus-stack-admission",
            "webhooks": [
                {
                    "name": "prometheusrulevalidate.monitoring.coreos.com",
                    "service": {
                        "namespace": "dockyard-monitoring",
                        "name": "kube-prometheus-stack-operator",
                        "path": "/admission-prometheusrules/validate",
                    },
                    "failurePolicy": "Ignore",
                },
                {
                    "name": "alertmanagerconfigsvalidate.monitoring.coreos.com",
                    "service": {
                        "namespace": "dockyard-monitoring",
                        "name": "kube-prometheus-stack-operator",
                        "path": "/admission-alertmanagerconfigs/validate",
                    },
                    "failurePolicy": "Ignore",
                },
            ],
        },
    ],
    "loki": [
        {
            "kind": "Service",
            "name": "loki-gateway-exporter",
            "labels": {
                "helm.sh/chart": "loki-18.11.0",
                "app.kubernetes.io/name": "loki",
                "app.kubernetes.io/instance": "loki",
                "app.kubernetes.io/version": "3.7.6",
                "app.kubernetes.io/component": "gateway",
            },
            "selector": {
                "app.kubernetes.io/name": "loki",
                "app.kubernetes.io/instance": "loki",
                "app.kubernetes.io/component": "gateway",
            },
            "ports": [{"name": "http-metrics", "port": 4040, "targetPort": "http-metrics"}],
        },
        {
            "kind": "Service",
            "name": "loki-gateway",
            "labels": {
                "helm.sh/chart": "loki-18.11.0",
                "app.kubernetes.io/name": "loki",
                "app.kubernetes.io/instance": "loki",
                "app.kubernetes.io/version": "3.7.6",
                "app.kubernetes.io/component": "gateway",
                "prometheus.io/service-monitor": "false",
            },
            "selector": {
                "app.kubernetes.io/name": "loki",
                "app.kubernetes.io/instance": "loki",
                "app.kubernetes.io/component": "gateway",
            },
            "ports": [{"name": "http", "port": 80, "targetPort": "http"}],
        },
        {
            "kind": "Service",
            "name": "loki-canary",
            "labels": {
                "helm.sh/chart": "loki-18.11.0",
                "app.kubernetes.io/name": "loki",
                "app.kubernetes.io/instance": "loki",
                "app.kubernetes.io/version": "3.7.6",
                "app.kubernetes.io/component": "canary",
            },
            "selector": {
                "app.kubernetes.io/name": "loki",
                "app.kubernetes.io/instance": "loki",
                "app.kubernetes.io/component": "canary",
            },
            "ports": [{"name": "http-metrics", "port": 3500, "targetPort": "http-metrics"}],
        },
        {
            "kind": "Service",
            "name": "loki",
            "labels": {
                "helm.sh/chart": "loki-18.11.0",
                "app.kubernetes.io/name": "loki",
                "app.kubernetes.io/instance": "loki",
                "app.kubernetes.io/version": "3.7.6",
                "app.kubernetes.io/component": "single-binary",
            },
            "selector": {
                "app.kubernetes.io/name": "loki",
                "app.kubernetes.io/instance": "loki",
                "app.kubernetes.io/component": "single-binary",
            },
            "ports": [
                {"name": "http-metrics", "port": 3100, "targetPort": "http-metrics"},
                {"name": "grpc", "port": 9095, "targetPort": "grpc"},
                {"name": "grpclb", "port": 9096, "targetPort": "grpc"},
            ],
        },
        {
            "kind": "Service",
            "name": "loki-headless",
            "labels": {
                "helm.sh/chart": "loki-18.11.0",
                "app.kubernetes.io/name": "loki",
                "app.kubernetes.io/instance": "loki",
                "app.kubernetes.io/version": "3.7.6",
                "app.kubernetes.io/component": "single-binary",
                "prometheus.io/service-monitor": "false",
                "variant": "headless",
            },
            "selector": {
                "app.kubernetes.io/name": "loki",
                "app.kubernetes.io/instance": "loki",
                "app.kubernetes.io/component": "single-binary",
            },
            "ports": [
                {"name": "http-metrics", "port": 3100, "targetPort": "http-metrics"},
                {"name": "grpc", "port": 9095, "targetPort": "grpc"},
                {"name": "grpclb", "port": 9096, "targetPort": "grpc"},
            ],
        },
        {
            "kind": "Service",
            "name": "loki-memberlist",
            "labels": {
                "helm.sh/chart": "loki-18.11.0",
                "app.kubernetes.io/name": "loki",
                "app.kubernetes.io/instance": "loki",
                "app.kubernetes.io/version": "3.7.6",
            },
            "selector": {
                "app.kubernetes.io/name": "loki",
                "app.kubernetes.io/instance": "loki",
                "app.kubernetes.io/part-of": "memberlist",
            },
            "ports": [{"name": "tcp", "port": 7946, "targetPort": "http-memberlist"}],
        },
        {
            "kind": "DaemonSet",
            "name": "loki-canary",
            "labels": {
                "app.kubernetes.io/name": "loki",
                "app.kubernetes.io/instance": "loki",
                "app.kubernetes.io/component": "canary",
            },
            "selector": {
                "app.kubernetes.io/name": "loki",
                "app.kubernetes.io/instance": "loki",
                "app.kubernetes.io/component": "canary",
            },
            "containers": [{"name": "canary", "ports": [{"name": "http-metrics", "containerPort": 3500}]}],
        },
        {
            "kind": "Deployment",
            "name": "loki-gateway",
            "labels": {
                "app.kubernetes.io/name": "loki",
                "app.kubernetes.io/instance": "loki",
                "app.kubernetes.io/component": "gateway",
            },
            "selector": {
                "app.kubernetes.io/name": "loki",
                "app.kubernetes.io/instance": "loki",
                "app.kubernetes.io/component": "gateway",
            },
            "containers": [
                {"name": "nginx", "ports": [{"name": "http", "containerPort": 8080}]},
                {
                    "name": "exporter",
                    "ports": [
                        {"name": "http-metrics", "containerPort": 4040},
                        {"name": "syslog", "containerPort": 8514},
                    ],
                },
            ],
        },
        {
            "kind": "StatefulSet",
            "name": "loki",
            "labels": {
                "helm.sh/chart": "loki-18.11.0",
                "app.kubernetes.io/name": "loki",
                "app.kubernetes.io/instance": "loki",
                "app.kubernetes.io/version": "3.7.6",
                "app.kubernetes.io/component": "single-binary",
                "app.kubernetes.io/part-of": "memberlist",
            },
            "selector": {
                "app.kubernetes.io/name": "loki",
                "app.kubernetes.io/instance": "loki",
                "app.kubernetes.io/component": "single-binary",
            },
            "containers": [
                {
                    "name": "loki",
                    "ports": [
                        {"name": "http-metrics", "containerPort": 3100},
                        {"name": "grpc", "containerPort": 9095},
                        {"name": "http-memberlist", "containerPort": 7946},
                    ],
                },
                {"name": "loki-sc-rules", "ports": [{"name": "http-sidecar", "containerPort": 8080}]},
            ],
        },
        {
            "kind": "ServiceMonitor",
            "name": "loki",
            "labels": {
                "helm.sh/chart": "loki-18.11.0",
                "app.kubernetes.io/name": "loki",
                "app.kubernetes.io/instance": "loki",
                "app.kubernetes.io/version": "3.7.6",
            },
            "spec": {
                "selector": {
                    "matchLabels": {"app.kubernetes.io/name": "loki", "app.kubernetes.io/instance": "loki"},
                    "matchExpressions": [
                        {"key": "prometheus.io/service-monitor", "operator": "NotIn", "values": ["false"]}
                    ],
                },
                "endpoints": [{"port": "http-metrics", "path": "/metrics", "scheme": "http"}],
            },
        },
    ],
    "oauth2-proxy": [
        {
            "kind": "Service",
            "name": "oauth2-proxy",
            "labels": {
                "app": "oauth2-proxy",
                "helm.sh/chart": "oauth2-proxy-7.12.0",
                "app.kubernetes.io/managed-by": "Helm",
                "app.kubernetes.io/component": "authentication-proxy",
                "app.kubernetes.io/part-of": "oauth2-proxy",
                "app.kubernetes.io/name": "oauth2-proxy",
                "app.kubernetes.io/instance": "oauth2-proxy",
                "app.kubernetes.io/version": "7.8.1",
            },
            "selector": {"app.kubernetes.io/name": "oauth2-proxy", "app.kubernetes.io/instance": "oauth2-proxy"},
            "ports": [
                {"name": "http", "port": 80, "targetPort": "http"},
                {"name": "metrics", "port": 44180, "targetPort": "metrics"},
            ],
        },
        {
            "kind": "Deployment",
            "name": "oauth2-proxy",
            "labels": {
                "app": "oauth2-proxy",
                "helm.sh/chart": "oauth2-proxy-7.12.0",
                "app.kubernetes.io/managed-by": "Helm",
                "app.kubernetes.io/component": "authentication-proxy",
                "app.kubernetes.io/part-of": "oauth2-proxy",
                "app.kubernetes.io/name": "oauth2-proxy",
                "app.kubernetes.io/instance": "oauth2-proxy",
                "app.kubernetes.io/version": "7.8.1",
            },
            "selector": {"app.kubernetes.io/name": "oauth2-proxy", "app.kubernetes.io/instance": "oauth2-proxy"},
            "containers": [
                {
                    "name": "oauth2-proxy",
                    "ports": [{"name": "http", "containerPort": 4180}, {"name": "metrics", "containerPort": 44180}],
                }
            ],
        },
        {
            "kind": "ServiceMonitor",
            "name": "oauth2-proxy",
            "labels": {
                "prometheus": "default",
                "app": "oauth2-proxy",
                "helm.sh/chart": "oauth2-proxy-7.12.0",
                "app.kubernetes.io/managed-by": "Helm",
                "app.kubernetes.io/component": "authentication-proxy",
                "app.kubernetes.io/part-of": "oauth2-proxy",
                "app.kubernetes.io/name": "oauth2-proxy",
                "app.kubernetes.io/instance": "oauth2-proxy",
                "app.kubernetes.io/version": "7.8.1",
            },
            "spec": {
                "selector": {
                    "matchLabels": {
                        "app.kubernetes.io/name": "oauth2-proxy",
                        "app.kubernetes.io/instance": "oauth2-proxy",
                    }
                },
                "namespaceSelector": {"matchNames": ["dockyard-identity"]},
                "jobLabel": "oauth2-proxy",
                "endpoints": [{"port": "metrics", "path": "/metrics"}],
            },
        },
    ],
    "opentelemetry-collector": [
        {
            "kind": "Service",
            "name": "opentelemetry-collector",
            "labels": {
                "helm.sh/chart": "opentelemetry-collector-0.120.0",
                "app.kubernetes.io/name": "opentelemetry-collector",
                "app.kubernetes.io/instance": "opentelemetry-collector",
                "app.kubernetes.io/version": "0.122.1",
                "app.kubernetes.io/managed-by": "Helm",
                "app.kubernetes.io/component": "standalone-collector",
                "component": "standalone-collector",
            },
            "selector": {
                "app.kubernetes.io/name": "opentelemetry-collector",
                "app.kubernetes.io/instance": "opentelemetry-collector",
                "component": "standalone-collector",
            },
            "ports": [
                {"name": "jaeger-compact", "port": 6831, "targetPort": 6831, "protocol": "UDP"},
                {"name": "jaeger-grpc", "port": 14250, "targetPort": 14250},
                {"name": "jaeger-thrift", "port": 14268, "targetPort": 14268},
                {"name": "metrics", "port": 8888, "targetPort": 8888},
                {"name": "otlp", "port": 4317, "targetPort": 4317},
                {"name": "otlp-http", "port": 4318, "targetPort": 4318},
                {"name": "zipkin", "port": 9411, "targetPort": 9411},
            ],
        },
        {
            "kind": "Deployment",
            "name": "opentelemetry-collector",
            "labels": {
                "app.kubernetes.io/name": "opentelemetry-collector",
                "app.kubernetes.io/instance": "opentelemetry-collector",
                "component": "standalone-collector",
            },
            "selector": {
                "app.kubernetes.io/name": "opentelemetry-collector",
                "app.kubernetes.io/instance": "opentelemetry-collector",
                "component": "standalone-collector",
            },
            "containers": [
                {
                    "name": "opentelemetry-collector",
                    "ports": [
                        {"name": "jaeger-compact", "containerPort": 6831, "protocol": "UDP"},
                        {"name": "jaeger-grpc", "containerPort": 14250},
                        {"name": "jaeger-thrift", "containerPort": 14268},
                        {"name": "metrics", "containerPort": 8888},
                        {"name": "otlp", "containerPort": 4317},
                        {"name": "otlp-http", "containerPort": 4318},
                        {"name": "zipkin", "containerPort": 9411},
                    ],
                }
            ],
        },
        {
            "kind": "ServiceMonitor",
            "name": "opentelemetry-collector",
            "labels": {
                "helm.sh/chart": "opentelemetry-collector-0.120.0",
                "app.kubernetes.io/name": "opentelemetry-collector",
                "app.kubernetes.io/instance": "opentelemetry-collector",
                "app.kubernetes.io/version": "0.122.1",
                "app.kubernetes.io/managed-by": "Helm",
                "app.kubernetes.io/component": "standalone-collector",
            },
            "spec": {
                "selector": {
                    "matchLabels": {
                        "app.kubernetes.io/name": "opentelemetry-collector",
                        "app.kubernetes.io/instance": "opentelemetry-collector",
                        "component": "standalone-collector",
                    }
                },
                "endpoints": [{"port": "metrics"}],
            },
        },
    ],
    "tempo": [
        {
            "kind": "Service",
            "name": "tempo",
            "labels": {
                "helm.sh/chart": "tempo-2.2.4",
                "app.kubernetes.io/name": "tempo",
                "app.kubernetes.io/instance": "tempo",
                "app.kubernetes.io/version": "2.10.8",
                "app.kubernetes.io/managed-by": "Helm",
            },
            "selector": {"app.kubernetes.io/name": "tempo", "app.kubernetes.io/instance": "tempo"},
            "ports": [
                {"name": "tempo-jaeger-thrift-compact", "port": 6831, "targetPort": 6831, "protocol": "UDP"},
                {"name": "tempo-jaeger-thrift-binary", "port": 6832, "targetPort": 6832, "protocol": "UDP"},
                {"name": "tempo-prom-metrics", "port": 3200, "targetPort": 3200},
                {"name": "tempo-jaeger-thrift-http", "port": 14268, "targetPort": 14268},
                {"name": "grpc-tempo-jaeger", "port": 14250, "targetPort": 14250},
                {"name": "tempo-zipkin", "port": 9411, "targetPort": 9411},
                {"name": "tempo-otlp-legacy", "port": 55680, "targetPort": 55680},
                {"name": "tempo-otlp-http-legacy", "port": 55681, "targetPort": 55681},
                {"name": "grpc-tempo-otlp", "port": 4317, "targetPort": 4317},
                {"name": "tempo-otlp-http", "port": 4318, "targetPort": 4318},
            ],
        },
        {
            "kind": "StatefulSet",
            "name": "tempo",
            "labels": {"app.kubernetes.io/name": "tempo", "app.kubernetes.io/instance": "tempo"},
            "selector": {"app.kubernetes.io/name": "tempo", "app.kubernetes.io/instance": "tempo"},
            "containers": [
                {
                    "name": "tempo",
                    "ports": [
                        {"name": "prom-metrics", "containerPort": 3200},
                        {"name": "jaeger-thrift-c", "containerPort": 6831, "protocol": "UDP"},
                        {"name": "jaeger-thrift-b", "containerPort": 6832, "protocol": "UDP"},
                        {"name": "jaeger-thrift-h", "containerPort": 14268},
                        {"name": "jaeger-grpc", "containerPort": 14250},
                        {"name": "zipkin", "containerPort": 9411},
                        {"name": "otlp-legacy", "containerPort": 55680},
                        {"name": "otlp-grpc", "containerPort": 4317},
                        {"name": "otlp-httplegacy", "containerPort": 55681},
                        {"name": "otlp-http", "containerPort": 4318},
                    ],
                }
            ],
        },
        {
            "kind": "ServiceMonitor",
            "name": "tempo",
            "labels": {"app": "tempo", "chart": "tempo-2.2.4", "heritage": "Helm"},
            "spec": {
                "selector": {
                    "matchLabels": {
                        "helm.sh/chart": "tempo-2.2.4",
                        "app.kubernetes.io/name": "tempo",
                        "app.kubernetes.io/instance": "tempo",
                        "app.kubernetes.io/version": "2.10.8",
                        "app.kubernetes.io/managed-by": "Helm",
                    }
                },
                "namespaceSelector": {"matchNames": ["dockyard-observability"]},
                "endpoints": [{"port": "tempo-prom-metrics"}],
            },
        },
    ],
    "ztunnel": [
        {
            "kind": "DaemonSet",
            "name": "ztunnel",
            "labels": {
                "sidecar.istio.io/inject": "false",
                "istio.io/dataplane-mode": "none",
                "app": "ztunnel",
                "app.kubernetes.io/name": "ztunnel",
                "app.kubernetes.io/managed-by": "Helm",
                "app.kubernetes.io/instance": "ztunnel",
                "app.kubernetes.io/part-of": "istio",
                "app.kubernetes.io/version": "1.0.0",
                "helm.sh/chart": "ztunnel-1.0.0",
            },
            "selector": {"app": "ztunnel"},
            "containers": [{"name": "istio-proxy", "ports": [{"name": "ztunnel-stats", "containerPort": 15020}]}],
        }
    ],
}
