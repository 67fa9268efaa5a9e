"""Who is signed in to the console, what they may do, and the signed session cookie that carries it.

Roles come from the `groups` claim of the person's token (Keycloak's group paths work as they are):

    dockyard:admin              everything, every team
    dockyard:<team>:editor      see everything; add and change the team's services
    dockyard:<team>:viewer      see everything

A person with none of these may sign in but sees nothing. Every route of the console names one
`Access` rule; a test enumerates the routes and proves each rule.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Role(StrEnum):
    VIEWER = "viewer"
    EDITOR = "editor"


class Access(StrEnum):
    """What a route asks of the person calling it."""

    PUBLIC = "public"
    """Anyone, signed in or not: the login page, health, static files."""
    VIEWER = "viewer"
    """A person with any role: the catalog, a service's pages, the JSON API's reads."""
    EDITOR = "editor"
    """An editor of at least one team (the route then checks the service's own team) or an admin."""


_GROUP = re.compile(r"^/?dockyard[:/](?:(admin)|([a-z0-9]([-a-z0-9]*[a-z0-9])?)[:/](editor|viewer))$")


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    admin: bool = False
    teams: Mapping[str, Role] = field(default_factory=dict)

    @property
    def can_view(self) -> bool:
        return self.admin or bool(self.teams)

    @property
    def editor_somewhere(self) -> bool:
        return self.admin or Role.EDITOR in self.teams.values()

    def can_edit(self, team: str | None) -> bool:
        """May change services of `team` (a service with no team: admins only)."""
        return self.admin or (team is not None and self.teams.get(team) == Role.EDITOR)

    def allows(self, access: Access) -> bool:
        if access is Access.PUBLIC:
            return True
        if access is Access.VIEWER:
            return self.can_view
        return self.editor_somewhere

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "email": self.email, "admin": self.admin, "teams": dict(sorted(self.teams.items()))}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Person:
        teams = {str(t): Role(r) for t, r in dict(data.get("teams") or {}).items()}
        return cls(str(data["name"]), str(data["email"]), bool(data.get("admin")), teams)


@dataclass(frozen=True)
class Grants:
    """What the layers grant SSO groups (`teams.<name>.editors` and `viewers`, `platformAdmins`): the
    same groups the cluster's RoleBindings name are the console's editors, viewers and admins."""

    editors: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Team -> its editor groups."""
    viewers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    admins: tuple[str, ...] = ()


def from_groups(name: str, email: str, groups: Iterable[str], grants: Grants | None = None) -> Person:
    """A person's roles from their token's group claim (unknown groups are ignored): the groups the
    layers grant a team or the platform (by name, or as Keycloak's full path of a top-level group),
    and the console's own `/dockyard/<team>/<editor|viewer>` and `/dockyard/admin`."""
    admin = False
    teams: dict[str, Role] = {}
    grants = grants or Grants()
    for group in groups:
        if not isinstance(group, str):
            continue
        named = group[1:] if group.startswith("/") and group.count("/") == 1 else group
        if named in grants.admins:
            admin = True
        for team, members in grants.viewers.items():
            if named in members and team not in teams:
                teams[team] = Role.VIEWER
        for team, members in grants.editors.items():
            if named in members:
                teams[team] = Role.EDITOR
        matched = _GROUP.match(group)
        if matched is None:
            continue
        if matched.group(1):
            admin = True
            continue
        team, role = matched.group(2), Role(matched.group(4))
        if teams.get(team) != Role.EDITOR:
            teams[team] = role
    return Person(name, email, admin, teams)


@dataclass(frozen=True)
class Session:
    """What the session cookie holds: the CSRF token always, the person once signed in."""

    csrf: str
    person: Person | None = None
    expires: float = 0.0
    pending: Mapping[str, str] | None = None
    """A sign-in through the identity provider under way: its state, nonce, PKCE verifier, next page."""

    @classmethod
    def anonymous(cls, lifetime: float) -> Session:
        return cls(secrets.token_urlsafe(32), None, time.time() + lifetime)


class SessionCodec:
    """The session as a cookie value: base64url JSON and an HMAC-SHA256 over it. The key is random
    per console process unless one is given (then sessions survive a restart and replicas share them)."""

    def __init__(self, key: bytes | None = None, lifetime: float = 8 * 3600) -> None:
        self.key = key or secrets.token_bytes(32)
        self.lifetime = lifetime

    def encode(self, session: Session) -> str:
        payload = {
            "csrf": session.csrf,
            "person": session.person.as_json() if session.person else None,
            "expires": session.expires,
            "pending": dict(session.pending) if session.pending else None,
        }
        body = base64.urlsafe_b64encode(json.dumps(payload, sort_keys=True).encode()).decode().rstrip("=")
        return f"{body}.{self._mac(body)}"

    def decode(self, value: str | None) -> Session | None:
        """The session, or None when the cookie is missing, forged, malformed or expired."""
        if not value or value.count(".") != 1:
            return None
        body, mac = value.split(".")
        if not hmac.compare_digest(mac, self._mac(body)):
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
            session = Session(
                str(data["csrf"]),
                Person.from_json(data["person"]) if data.get("person") else None,
                float(data["expires"]),
                {str(k): str(v) for k, v in data["pending"].items()} if data.get("pending") else None,
            )
        except (ValueError, KeyError, TypeError):
            return None
        return session if session.expires > time.time() else None

    def _mac(self, body: str) -> str:
        digest = hmac.new(self.key, body.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def same_token(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())
