"""`s3`: a bucket on the platform's S3-compatible object store.

The object store's chart creates the bucket, and the store gives the resource an identity allowed
on that bucket alone (both from the render); the `s3-bucket` lifecycle task generates the
identity's secret key and writes the key pair to the Secret `<service>-<id>-s3` in the service's
namespace.
outputs: endpoint, bucket, region, access_key_id, secret_access_key (the last two as Secret references);
also the names Score's reference provisioners give them: secret_key, aws_access_key_id, aws_secret_key.
"""

from __future__ import annotations

import re

from dockyard.render import platform_names
from dockyard.render.bundle import TaskRequest
from dockyard.render.placeholders import SecretRef
from dockyard.render.provisioners.base import Peer, Provision, Provisioner, ProvisionError, Request, param
from dockyard.render.task_data import TaskKind

BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9-]{1,61}[a-z0-9]")
"""S3's bucket naming rules, without dots (a dotted name breaks virtual-host TLS): the name also
reaches the store's bucket job, so nothing else may pass."""


def provision(request: Request) -> Provision:
    bucket = param(request, "bucket", str, f"{request.platform.name}-{request.object_name()}")
    if not BUCKET_NAME.fullmatch(bucket):
        given = "params.bucket" if "bucket" in request.resource.params else "its default name"
        raise ProvisionError(
            f"resource `{request.resource.id}`: bucket `{bucket}` ({given}) is not a bucket name: "
            "3 to 63 lowercase letters, digits and hyphens, starting and ending with a letter or digit"
            + ("" if "bucket" in request.resource.params else "; set params.bucket")
        )
    secret = request.object_name("s3")
    return Provision(
        outputs={
            "endpoint": platform_names.OBJECT_STORE_ENDPOINT,
            "bucket": bucket,
            "region": "us-east-1",
            "access_key_id": SecretRef(secret, "AWS_ACCESS_KEY_ID"),
            "secret_access_key": SecretRef(secret, "AWS_SECRET_ACCESS_KEY"),
            "secret_key": SecretRef(secret, "AWS_SECRET_ACCESS_KEY"),
            "aws_access_key_id": SecretRef(secret, "AWS_ACCESS_KEY_ID"),
            "aws_secret_key": SecretRef(secret, "AWS_SECRET_ACCESS_KEY"),
        },
        tasks=[
            TaskRequest(
                TaskKind.S3_BUCKET,
                request.object_name(),
                {"bucket": bucket, "secret": secret, "namespace": request.namespace},
                request.source,
            )
        ],
        egress=[Peer(platform_names.OBJECT_STORE_NAMESPACE, {}, (("TCP", platform_names.OBJECT_STORE_PORT),))],
    )


S3 = Provisioner(
    "s3",
    (
        "endpoint",
        "bucket",
        "region",
        "access_key_id",
        "secret_access_key",
        "secret_key",
        "aws_access_key_id",
        "aws_secret_key",
    ),
    provision,
    "A bucket on the platform object store, with an access key for it alone.",
    {"bucket": "bucket name (default <platform>-<service>-<id>)"},
)
