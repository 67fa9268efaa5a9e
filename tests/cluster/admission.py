"""Admission faults on the real API server: a ValidatingAdmissionPolicy (CEL, evaluated in the API
server itself) that lets dry runs through and denies the real writes of chosen Deployments, so an
apply whose dry run passed stops between two writes. The local control plane calls no admission
webhooks (KWOK runs no pods to answer them: localcluster/components.py), so the fault is the
API server's own policy, as a platform team's guard rails would be."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator

from lightkube import Client, codecs
from lightkube.core.exceptions import ApiError
from lightkube.resources.admissionregistration_v1 import (
    ValidatingAdmissionPolicy,
    ValidatingAdmissionPolicyBinding,
)
from lightkube.resources.apps_v1 import Deployment

PROBE = "admission-probe"
"""A Deployment the policy also denies: created until the API server refuses it, so the policy is
known to be in force before the test's own requests."""


@contextlib.contextmanager
def denied_writes(api: Client, name: str, namespace: str, deployments: list[str], message: str) -> Iterator[None]:
    """While the block runs, the API server refuses to create or update the Deployments `deployments`
    of `namespace` (dry runs pass) with `message`."""
    names = json.dumps([*deployments, PROBE])
    policy = codecs.from_dict(
        {
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "ValidatingAdmissionPolicy",
            "metadata": {"name": name},
            "spec": {
                "failurePolicy": "Fail",
                "matchConstraints": {
                    "resourceRules": [
                        {
                            "apiGroups": ["apps"],
                            "apiVersions": ["v1"],
                            "operations": ["CREATE", "UPDATE"],
                            "resources": ["deployments"],
                        }
                    ],
                    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}},
                },
                "validations": [
                    {"expression": f"request.dryRun || !(object.metadata.name in {names})", "message": message}
                ],
            },
        }
    )
    binding = codecs.from_dict(
        {
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "ValidatingAdmissionPolicyBinding",
            "metadata": {"name": name},
            "spec": {"policyName": name, "validationActions": ["Deny"]},
        }
    )
    api.create(policy)
    api.create(binding)
    try:
        _until_in_force(api, namespace)
        yield
    finally:
        api.delete(ValidatingAdmissionPolicyBinding, name)
        api.delete(ValidatingAdmissionPolicy, name)
        _until_lifted(api, namespace)


def _probe(namespace: str) -> Deployment:
    return codecs.from_dict(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": PROBE, "namespace": namespace},
            "spec": {
                "selector": {"matchLabels": {"app": PROBE}},
                "template": {
                    "metadata": {"labels": {"app": PROBE}},
                    "spec": {"containers": [{"name": "c", "image": "registry.example.org/probe:1"}]},
                },
            },
        }
    )


def _until_in_force(api: Client, namespace: str) -> None:
    _until(api, namespace, refused=True)


def _until_lifted(api: Client, namespace: str) -> None:
    _until(api, namespace, refused=False)


def _until(api: Client, namespace: str, *, refused: bool, seconds: float = 30) -> None:
    """The API server learns of a policy (and of its removal) from its informer, a moment later:
    create the probe until the policy refuses it (or lets it through), deleting it when created."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            api.create(_probe(namespace))
            created = True
        except ApiError as error:
            if error.status.code not in (403, 422):
                raise
            created = False
        if created:
            api.delete(Deployment, PROBE, namespace=namespace)
        if created != refused:
            return
        if time.monotonic() > deadline:
            raise AssertionError(
                f"the API server did not {'enforce' if refused else 'lift'} the policy in {seconds:.0f} s"
            )
        time.sleep(0.2)
