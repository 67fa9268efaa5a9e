# Builds the input Dockyard's policies read (`{"objects": [...]}`, each object with its pod spec and
# containers located) from plain Kubernetes objects, for engines that hand over manifests as they
# are: Gatekeeper's admission review (one object) and conftest (all files, combined).
package dockyard.adapter

import rego.v1

pod_paths := {
	"Deployment": ["spec", "template", "spec"],
	"StatefulSet": ["spec", "template", "spec"],
	"DaemonSet": ["spec", "template", "spec"],
	"ReplicaSet": ["spec", "template", "spec"],
	"Job": ["spec", "template", "spec"],
	"CronJob": ["spec", "jobTemplate", "spec", "template", "spec"],
	"Pod": ["spec"],
}

entry(manifest) := result if {
	path := pod_paths[manifest.kind]
	pod := object.get(manifest, path, {})
	result := {
		"id": id(manifest),
		"kind": manifest.kind,
		"manifest": manifest,
		"pod": pod,
		"pod_path": concat(".", path),
		"containers": array.concat(object.get(pod, "initContainers", []), object.get(pod, "containers", [])),
		"containers_path": concat(".", array.concat(path, ["containers"])),
	}
}

entry(manifest) := result if {
	not pod_paths[manifest.kind]
	result := {"id": id(manifest), "kind": manifest.kind, "manifest": manifest, "containers": []}
}

# As Dockyard prints an object: Kind.group namespace/name (no group for the core API).
id(manifest) := sprintf("%s%s %s%s", [manifest.kind, group(manifest.apiVersion), namespace(manifest), manifest.metadata.name])

group(api_version) := sprintf(".%s", [split(api_version, "/")[0]]) if contains(api_version, "/")

group(api_version) := "" if not contains(api_version, "/")

namespace(manifest) := sprintf("%s/", [manifest.metadata.namespace]) if manifest.metadata.namespace

namespace(manifest) := "" if not manifest.metadata.namespace
