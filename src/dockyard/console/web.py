"""What every console route shares: the signed session, the access rule it declares, CSRF checks,
security headers, and HTML or JSON errors."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dockyard.console.auth import Access, Person, Session, SessionCodec, same_token
from dockyard.console.oidc import OpenIdConnect, SignInFailed

COOKIE = "dockyard_console"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}

templates = Environment(
    loader=PackageLoader("dockyard.console", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


class Refused(Exception):
    """The request may not go on: 401 (sign in first), 403 (not allowed) or 400 (no valid CSRF token)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Settings:
    dev_login: bool
    secure_cookies: bool
    oidc: OpenIdConnect | None = None
    """Sign-in through the platform's identity provider (None: the development login only)."""
    hosts: tuple[str, ...] = ("127.0.0.1", "localhost", "::1")
    """The host names requests may name (a page elsewhere that rebinds its name to this machine's
    address is refused)."""


MAX_BODY = 2 * 1024 * 1024
"""The largest request body the console reads (a contract of 1 MiB and the rest of the form)."""


class BodyLimit:
    """Refuse a request whose body is larger than MAX_BODY before reading it (413), whether or not
    it says its length."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
            await _too_large(send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > MAX_BODY:
                raise _TooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await _too_large(send)


class _TooLarge(Exception):
    pass


async def _too_large(send: Send) -> None:
    body = b'{"error": "the request is larger than 2 MiB"}'
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def session_of(request: Request) -> Session:
    """The request's session (a new anonymous one when it has none or a forged or expired one)."""
    found: Session | None = getattr(request.state, "session", None)
    if found is not None:
        return found
    codec: SessionCodec = request.app.state.codec
    session = codec.decode(request.cookies.get(COOKIE))
    if session is None:
        session = Session.anonymous(codec.lifetime)
        request.state.session_changed = True
    request.state.session = session
    return session


def replace_session(request: Request, session: Session) -> None:
    request.state.session = session
    request.state.session_changed = True


def person_of(request: Request) -> Person | None:
    return session_of(request).person


def access_rule(access: Access) -> Callable[[Request], Awaitable[Person | None]]:
    """The dependency a route declares: who may call it, and a CSRF token on every unsafe method."""

    async def check(request: Request) -> Person | None:
        authorization = request.headers.get("authorization", "")
        if authorization[:7].lower() == "bearer ":
            return _bearer(request, authorization[7:].strip(), access)
        session = session_of(request)
        if access is not Access.PUBLIC:  # who it is first: a body is read only for someone allowed
            if session.person is None:
                raise Refused(401, "sign in first")
            if not session.person.allows(access):
                raise Refused(403, _why_not(session.person, access))
        if request.method in UNSAFE:
            given = request.headers.get(CSRF_HEADER)
            if given is None and request.headers.get("content-type", "").startswith(
                ("application/x-www-form-urlencoded", "multipart/form-data")
            ):
                form = await request.form()
                value = form.get(CSRF_FIELD)
                given = value if isinstance(value, str) else None
            if not same_token(given, session.csrf):
                raise Refused(400, "the form has expired or did not come from this console; reload the page")
        return session.person

    check.access = access  # type: ignore[attr-defined]  # read by the test that proves every route's rule
    return check


def _bearer(request: Request, token: str, access: Access) -> Person:
    """A request of the JSON API with an access token instead of a session: no cookie is read or set,
    and no CSRF token is needed (a browser never sends this header by itself)."""
    oidc: OpenIdConnect | None = request.app.state.settings.oidc
    if oidc is None or not request.url.path.startswith("/api/"):
        raise Refused(401, "bearer tokens are taken only by the JSON API of a console with an identity provider")
    try:
        person = oidc.bearer(token, request.app.state.console.grants())
    except SignInFailed as failed:
        raise Refused(401, str(failed)) from None
    if not person.allows(access):
        raise Refused(403, _why_not(person, access))
    request.state.session = Session("", person, time.time() + 60)
    return person


def _why_not(person: Person, access: Access) -> str:
    if access is Access.VIEWER:
        return f"{person.name} has no role in the console; ask a platform admin for a team's viewer or editor role"
    return f"{person.name} may not change services; ask a platform admin for a team's editor role"


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def install(app: FastAPI, settings: Settings) -> None:
    """The session cookie, the security headers and the error pages, on every response; the host
    names allowed and the size of bodies, on every request."""
    app.add_middleware(BodyLimit)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(settings.hosts))

    @app.middleware("http")
    async def _every_response(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if not request.url.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        if getattr(request.state, "session_changed", False):
            codec: SessionCodec = request.app.state.codec
            response.set_cookie(
                COOKIE,
                codec.encode(request.state.session),
                max_age=int(codec.lifetime),
                httponly=True,
                samesite="lax",
                secure=settings.secure_cookies,
                path="/",
            )
        return response

    @app.exception_handler(Refused)
    async def _refused(request: Request, refused: Refused) -> Response:
        if wants_json(request):
            return JSONResponse({"error": refused.message}, status_code=refused.status)
        if refused.status == 401:
            return RedirectResponse(f"/login?next={quote(_local(str(request.url.path)))}", status_code=303)
        return page(request, "error.html", {"title": "Not allowed", "message": refused.message}, refused.status)


def _local(path: str) -> str:
    """Only a path of this console to return to after signing in (never another site)."""
    return path if path.startswith("/") and not path.startswith("//") and "\\" not in path else "/"


def after_login(path: str | None) -> str:
    return _local(path or "/")


def page(request: Request, template: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    session = session_of(request)
    full = {
        "csrf": session.csrf,
        "person": session.person,
        "dev_login": request.app.state.settings.dev_login,
        "oidc": request.app.state.settings.oidc is not None,
        "platform": request.app.state.platform_name(),
        "cluster": request.app.state.console.cluster,
        **context,
    }
    return HTMLResponse(templates.get_template(template).render(full), status_code=status)
