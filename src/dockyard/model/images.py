"""Container images supplied at deploy time.

Score lets a workload say `image: .`: the image is not known when the file is written, and the
tool that deploys it supplies one. Dockyard takes it from the layers (`images.<container>` in the
service's dockyard.yaml, an override file per environment, so a pipeline can pin what each environment runs
by a commit) or from the command line (`--image SERVICE=IMAGE` for the service's `image: .`
containers, `--image SERVICE.CONTAINER=IMAGE` for one container, as score-k8s's `--image` does),
the command line winning. A container left with `.` is an error at its line.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from dockyard.errors import Problem, UsageError
from dockyard.load.layers import Effective
from dockyard.load.repo import Repo
from dockyard.load.schemas import IMAGE_REFERENCE

if TYPE_CHECKING:
    from dockyard.model.service import Service

SUPPLIED = "."


def parse_image_options(options: list[str] | None) -> dict[str, str]:
    """`--image` values as {`SERVICE` or `SERVICE.CONTAINER`: image}; UsageError for a malformed one."""
    images: dict[str, str] = {}
    for option in options or []:
        target, equals, image = option.partition("=")
        if not equals or not target or not image or target.count(".") > 1:
            raise UsageError(f"--image `{option}`: write SERVICE=IMAGE or SERVICE.CONTAINER=IMAGE")
        if not IMAGE_REFERENCE.search(image):
            example = "registry.example.org/app:1.2"
            raise UsageError(f"--image `{option}`: `{image}` is not an image reference, such as {example}")
        images[target] = image
    return images


def resolved_images(
    service: str, written: Mapping[str, str], layered: Mapping[str, str], given: Mapping[str, str]
) -> dict[str, str]:
    """Each container's image: the command line's for that container, else the layers', else what
    score.yaml says, and for `image: .` the command line's for the whole service."""
    result = {}
    for container, image in written.items():
        chosen = given.get(f"{service}.{container}") or layered.get(container) or image
        if chosen == SUPPLIED:
            chosen = given.get(service, SUPPLIED)
        result[container] = chosen
    return result


def image_problems(repo: Repo, effective: Effective, given: Mapping[str, str]) -> list[Problem]:
    """A layer or an option naming a service or container that does not exist."""
    problems = []
    for target in sorted(given):
        service, _dot, container = target.partition(".")
        if service not in repo.services:
            known = ", ".join(sorted(repo.services)) or "none"
            raise UsageError(f"--image `{target}`: no service `{service}` (services: {known})")
        containers = repo.services[service].data["containers"]
        if container and container not in containers:
            raise UsageError(f"--image `{target}`: service `{service}` has no container `{container}`")
    for name in sorted(repo.services):
        score = repo.services[name]
        settings = effective.services[name]
        layered = settings.values.get("images") or {}
        containers = score.data["containers"]
        for container in sorted(layered):
            if container not in containers:
                problems.append(
                    Problem(
                        settings.position(("images", container)),
                        f"service `{name}` has no container `{container}` to give an image",
                        f"containers: {', '.join(sorted(containers))}",
                    )
                )
    return problems


def unsupplied(services: Sequence[Service]) -> list[Problem]:
    """A container still `image: .` once the layers and the command line had their say."""
    return [
        Problem(
            service.source.position(("containers", container.name, "image")),
            f"container `{container.name}` has `image: .`, and no image was supplied for it",
            f"set images.{container.name} in services/{service.name}/dockyard.yaml (or in overrides/<env>.yaml) "
            f"or pass --image {service.name}=<image> (or {service.name}.{container.name}=<image>)",
        )
        for service in services
        for container in service.containers
        if container.image == SUPPLIED
    ]
