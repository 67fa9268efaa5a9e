# Images are pinned: never `:latest` or untagged; by digest where the environment asks for it.
package dockyard.policies.images

import rego.v1

deny contains finding if {
	some object in input.objects
	some index, container in object.containers
	not contains(container.image, "@")
	unpinned(container.image)
	finding := {
		"object": object.id,
		"path": sprintf("%s[%d].image", [object.containers_path, index]),
		"message": sprintf("image %s is not pinned to a version", [container.image]),
	}
}

deny contains finding if {
	input.requireDigest
	some object in input.objects
	some index, container in object.containers
	not contains(container.image, "@sha256:")
	finding := {
		"object": object.id,
		"path": sprintf("%s[%d].image", [object.containers_path, index]),
		"message": sprintf("image %s is not pinned by digest (this environment requires digests)", [container.image]),
	}
}

unpinned(image) if endswith(image, ":latest")

unpinned(image) if {
	last := regex.replace(image, "^.*/", "")
	not contains(last, ":")
}
