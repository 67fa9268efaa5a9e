# Pods run as non-root, unprivileged, without host namespaces or hostPath, with a read-only root
# filesystem and no privilege escalation: a compromised process stays in its container.
package dockyard.policies.security

import rego.v1

deny contains finding if {
	some object in input.objects
	object.pod
	not object.pod.securityContext.runAsNonRoot
	some index, container in object.containers
	not container.securityContext.runAsNonRoot
	finding := {"object": object.id, "path": sprintf("%s[%d].securityContext.runAsNonRoot", [object.containers_path, index]),
		"message": sprintf("container %s may run as root", [container.name])}
}

deny contains finding if {
	some object in input.objects
	some index, container in object.containers
	container.securityContext.privileged
	finding := {"object": object.id, "path": sprintf("%s[%d].securityContext.privileged", [object.containers_path, index]),
		"message": sprintf("container %s is privileged", [container.name])}
}

deny contains finding if {
	some object in input.objects
	some index, container in object.containers
	not container.securityContext.readOnlyRootFilesystem
	finding := {"object": object.id, "path": sprintf("%s[%d].securityContext.readOnlyRootFilesystem", [object.containers_path, index]),
		"message": sprintf("container %s can write to its root filesystem", [container.name])}
}

deny contains finding if {
	some object in input.objects
	some index, container in object.containers
	not container.securityContext.allowPrivilegeEscalation == false
	finding := {"object": object.id, "path": sprintf("%s[%d].securityContext.allowPrivilegeEscalation", [object.containers_path, index]),
		"message": sprintf("container %s may escalate privileges", [container.name])}
}

deny contains finding if {
	some object in input.objects
	some field in ["hostNetwork", "hostPID", "hostIPC"]
	object.pod[field]
	finding := {"object": object.id, "path": sprintf("%s.%s", [object.pod_path, field]),
		"message": sprintf("the pod shares the host's %s namespace", [trim_prefix(field, "host")])}
}

deny contains finding if {
	some object in input.objects
	some index, volume in object.pod.volumes
	volume.hostPath
	finding := {"object": object.id, "path": sprintf("%s.volumes[%d].hostPath", [object.pod_path, index]),
		"message": sprintf("volume %s mounts a path of the host", [volume.name])}
}
