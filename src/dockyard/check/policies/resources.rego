# Every container requests CPU and memory and has a memory limit: the scheduler can place it and
# one runaway process cannot starve its neighbours.
package dockyard.policies.resources

import rego.v1

deny contains finding if {
	some object in input.objects
	some index, container in object.containers
	some field in ["requests.cpu", "requests.memory", "limits.memory"]
	parts := split(field, ".")
	not container.resources[parts[0]][parts[1]]
	finding := {
		"object": object.id,
		"path": sprintf("%s[%d].resources.%s", [object.containers_path, index, field]),
		"message": sprintf("container %s sets no %s", [container.name, field]),
	}
}
