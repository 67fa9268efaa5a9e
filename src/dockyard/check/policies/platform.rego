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
	object.manifest.spec.selector
	not selecting[object.id]
	finding := {"object": object.id, "path": "spec.selector", "message": "the Service selects no workload of the render"}
}

# Workloads indexed by each of their pod labels (namespace, key and value in one string), so a
# Service is compared only with the workloads that share a label with its selector: linear in the
# size of the render, where comparing every Service with every workload is quadratic.
pods_by_label[entry] contains index if {
	some index, workload in input.objects
	workload.pod
	some key, value in workload.manifest.spec.template.metadata.labels
	entry := sprintf("%s|%s=%s", [workload.manifest.metadata.namespace, key, value])
}

# The Services that select at least one workload of the render (a rule, so it is computed once).
selecting contains service.id if {
	some service in input.objects
	service.kind == "Service"
	selector := service.manifest.spec.selector
	some key, value in selector
	some index in pods_by_label[sprintf("%s|%s=%s", [service.manifest.metadata.namespace, key, value])]
	labels := input.objects[index].manifest.spec.template.metadata.labels
	every wanted, expected in selector {
		labels[wanted] == expected
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
