# Every long-running container has a readiness probe, so traffic only reaches pods that are ready.
package dockyard.policies.probes

import rego.v1

deny contains finding if {
	some object in input.objects
	object.kind in {"Deployment", "StatefulSet", "DaemonSet"}
	some index, container in object.containers
	not container.readinessProbe
	not container.livenessProbe
	finding := {
		"object": object.id,
		"path": sprintf("%s[%d]", [object.containers_path, index]),
		"message": sprintf("container %s has no readiness or liveness probe", [container.name]),
	}
}
