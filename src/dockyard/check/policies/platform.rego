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

# Every namespace has a NetworkPolicy that denies all traffic by default. The engine passes each
# Namespace whether one of the render's NetworkPolicies in it selects every pod, for both directions,
# with no rule that lets anything in or out (`default_deny`).
deny contains finding if {
	some object in input.objects
	object.kind == "Namespace"
	not object.default_deny
	finding := {"object": object.id, "path": "", "message": "the namespace has no default-deny NetworkPolicy"}
}

# Every Service selects a workload of the render. The engine passes each Service the number of
# workloads in its namespace whose pod labels include its selector (`selected_workloads`): counting
# them here would compare every Service with every workload, which grows with the square of the render.
deny contains finding if {
	some object in input.objects
	object.kind == "Service"
	object.manifest.spec.selector
	object.selected_workloads == 0
	finding := {"object": object.id, "path": "spec.selector", "message": "the Service selects no workload of the render"}
}

# A host is routed by one route only. The engine passes each route the hosts that a route earlier in
# name order also routes (`routed_before`, host to that route), so the first one is not reported.
deny contains finding if {
	some object in input.objects
	object.kind == "HTTPRoute"
	some host, first in object.routed_before
	finding := {"object": object.id, "path": "spec.hostnames", "message": sprintf("host %s is also routed by %s", [host, first])}
}

deny contains finding if {
	some object in input.objects
	object.kind == "Secret"
	some field in ["data", "stringData"]
	count(object.manifest[field]) > 0
	finding := {"object": object.id, "path": field, "message": "a Secret with literal data is rendered; secret values must not pass through the platform repo"}
}
