"""The resource types Dockyard provisions itself: the one list of their names.

Load checks a service's resources against it (with the repo's own provisioners); render has one
built-in provisioner for each (render/provisioners), and refuses at import to have one more.
"""

from __future__ import annotations

from enum import StrEnum


class ResourceType(StrEnum):
    API = "api"
    DNS = "dns"
    POSTGRES = "postgres"
    REDIS = "redis"
    ROUTE = "route"
    S3 = "s3"
    SECRET = "secret"
    SERVICE = "service"
    VOLUME = "volume"
