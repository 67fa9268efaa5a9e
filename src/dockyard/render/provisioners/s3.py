"""`s3`: a bucket on the platform's S3-compatible object store.

The object store's chart creates the bucket, a policy on that bucket alone and a user with only
that policy (from the render); the `s3-bucket` lifecycle task generates the user's secret key and
writes the key pair to the Secret `<service>-<id>-s3` in the service's namespace.
outputs: endpoint, bucket, region, access_key_id, secret_access_key (the last two as Secret references).
"""

from __future__ import annotations

from dockyard.render import platform_names
from dockyard.render.bundle import TaskRequest
from dockyard.render.placeholders import SecretRef
from dockyard.render.provisioners.base import Peer, Provision, Provisioner, Request, param


def provision(request: Request) -> Provision:
    bucket = param(request, "bucket", str, f"{request.platform.name}-{request.object_name()}")
    secret = request.object_name("s3")
    return Provision(
        outputs={
            "endpoint": platform_names.OBJECT_STORE_ENDPOINT,
            "bucket": bucket,
            "region": "us-east-1",
            "access_key_id": SecretRef(secret, "AWS_ACCESS_KEY_ID"),
            "secret_access_key": SecretRef(secret, "AWS_SECRET_ACCESS_KEY"),
        },
        tasks=[
            TaskRequest(
                "s3-bucket",
                request.object_name(),
                {"bucket": bucket, "secret": secret, "namespace": request.namespace},
                request.source,
            )
        ],
        egress=[Peer(platform_names.OBJECT_STORE_NAMESPACE, {}, (("TCP", 9000),))],
    )


S3 = Provisioner(
    "s3",
    ("endpoint", "bucket", "region", "access_key_id", "secret_access_key"),
    provision,
    "A bucket on the platform object store, with an access key for it alone.",
    {"bucket": "bucket name (default <platform>-<service>-<id>)"},
)
