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

selects_a_workload(namespace, selector) if {
	some workload in input.objects
	workload.pod
	workload.manifest.metadata.namespace == namespace
	labels := workload.manifest.spec.template.metadata.labels
	every key, value in selector {
		labels[key] == value
	}
}

deny contains finding if {
	some object in input.objects
	object.kind == "HTTPRoute"
	some host in object.manifest.spec.hostnames
	some other in input.objects
	other.kind == "HTTPRoute"
	other.id < object.id
	host in other.manifest.spec.hostnames
	finding := {"object": object.id, "path": "spec.hostnames", "message": sprintf("host %s is also routed by %s", [host, other.id])}
}

deny contains finding if {
	some object in input.objects
	object.kind == "Secret"
	some field in ["data", "stringData"]
	count(object.manifest[field]) > 0
	finding := {"object": object.id, "path": field, "message": "a Secret with literal data is rendered; secret values must not pass through the platform repo"}
}
