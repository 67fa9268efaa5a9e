"""The built-in provisioners, by resource type. A platform repo adds its own in `provisioners/`."""

from __future__ import annotations

from dockyard.load.resource_types import ResourceType
from dockyard.render.provisioners.api import API
from dockyard.render.provisioners.base import Provisioner
from dockyard.render.provisioners.dns import DNS
from dockyard.render.provisioners.postgres import POSTGRES
from dockyard.render.provisioners.redis import REDIS
from dockyard.render.provisioners.route import ROUTE
from dockyard.render.provisioners.s3 import S3
from dockyard.render.provisioners.secret import SECRET
from dockyard.render.provisioners.service import SERVICE
from dockyard.render.provisioners.volume import VOLUME

BUILT_IN: dict[str, Provisioner] = {
    ResourceType(p.type): p  # a provisioner of a type load does not know fails here, at import
    for p in (API, DNS, POSTGRES, REDIS, ROUTE, S3, SECRET, SERVICE, VOLUME)
}
