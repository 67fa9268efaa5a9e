# Platform-wide rules: labels, network isolation, Services that select something, unique hosts,
# and no Secret with literal data in rendered output.
package dockyard.policies.platform

import rego.v1

required_labels := ["app.kubernetes.io/part-of", "app.kubernetes.io/managed-by"]

deny contains finding if {
	some object in input.objects
	some label in required_labels
	not object.manifest.metadata.labels[label]
	finding := {"object": object.id, "path": sprintf("metadata.labels.%s", [label]),
		"message": sprintf("label %s is missing", [label])}
}

deny contains finding if {
	some object in input.objects
	object.kind == "Namespace"
	name := object.manifest.metadata.name
	not default_deny[name]
	finding := {"object": object.id, "path": "", "message": "the namespace has no default-deny NetworkPolicy"}
}

default_deny contains namespace if {
	some object in input.objects
	object.kind == "NetworkPolicy"
	object.manifest.spec.podSelector == {}
	count(object.manifest.spec.policyTypes) == 2
	not object.manifest.spec.ingress
	not object.manifest.spec.egress
	namespace := object.manifest.metadata.namespace
}

deny contains finding if {
	some object in input.objects
	object.kind == "Service"
	selector := object.manifest.spec.selector
	not selects_a_workload(object.manifest.metadata.namespace, selector)
	finding := {"object": object.id, "path": "spec.selector", "message": "the Service selects no workload of the render"}
}

# The pod labels of every workload, by namespace: a Service is compared with its own namespace only.
pod_labels[namespace] contains labels if {
	some workload in input.objects
	workload.pod
	namespace := workload.manifest.metadata.namespace
	labels := workload.manifest.spec.template.metadata.labels
}

selects_a_workload(namespace, selector) if {
	some labels in pod_labels[namespace]
	every key, value in selector {
		labels[key] == value
	}
}

# Routes by host: a host routed twice is reported on every route but the first.
routes_by_host[host] contains object.id if {
	some object in input.objects
	object.kind == "HTTPRoute"
	some host in object.manifest.spec.hostnames
}

deny contains finding if {
	some host, ids in routes_by_host
	count(ids) > 1
	first := min(ids)
	some id in ids
	id != first
	finding := {"object": id, "path": "spec.hostnames", "message": sprintf("host %s is also routed by %s", [host, first])}
}

deny contains finding if {
	some object in input.objects
	object.kind == "Secret"
	some field in ["data", "stringData"]
	count(object.manifest[field]) > 0
	finding := {"object": object.id, "path": field, "message": "a Secret with literal data is rendered; secret values must not pass through the platform repo"}
}
