"""The console's routes: pages for people, and the JSON API (/api/..., described at
/api/openapi.json) for everything the pages do. Each route names its access rule (auth.Access)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Body, Depends, FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import UploadFile

from dockyard import __version__
from dockyard.console import api_models as api
from dockyard.console import files_form, ports_form, secrets_form, settings_form, volumes_form
from dockyard.console.api_models import answers
from dockyard.console.auth import Access, Person, Role, Session, SessionCodec
from dockyard.console.form import EVERY_FIELD, NAME, CannotEdit, current_fields, parse_fields
from dockyard.console.gitrepo import GitError
from dockyard.console.graph import callers_of, neighbourhood
from dockyard.console.links import observability
from dockyard.console.oidc import SignInFailed
from dockyard.console.runs import RunMissing
from dockyard.console.state import (
    Checked,
    Console,
    Forbidden,
    NotFound,
    PlanBusy,
    Saved,
    editable_teams,
    files_digest,
)
from dockyard.console.text import NOT_TEXT
from dockyard.console.web import (
    Refused,
    Settings,
    access_rule,
    after_login,
    install,
    page,
    replace_session,
    session_of,
)
from dockyard.errors import DockyardError

MAX_CONTRACT_BYTES = 1024 * 1024
LIST_FIELDS = (
    "calls",
    *secrets_form.ROW_FIELDS,
    *files_form.ROW_FIELDS,
    *volumes_form.ROW_FIELDS,
    *ports_form.ROW_FIELDS,
)
"""Form fields posted once per ticked box, or once per row."""


def create_app(console: Console, settings: Settings, codec: SessionCodec | None = None) -> FastAPI:
    app = FastAPI(
        title="Dockyard console",
        version=__version__,
        docs_url=None,  # the interactive page loads scripts from elsewhere; the description is /api/openapi.json
        redoc_url=None,
        openapi_url=None,
    )
    app.state.console = console
    app.state.settings = settings
    app.state.codec = codec or SessionCodec()
    app.state.platform_name = lambda: _platform_name(console)
    install(app, settings)
    static = resources.files("dockyard.console") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")

    def route(method: str, path: str, access: Access, **extra: Any) -> Callable[[Callable[..., Any]], Any]:
        described = {"x-dockyard-access": access.value, **extra.pop("openapi_extra", {})}
        if "responses" in extra:
            extra["response_model"] = None  # the answers are described; each is built where it is made
        return app.api_route(
            path,
            methods=[method],
            dependencies=[Depends(access_rule(access))],
            openapi_extra=described,
            include_in_schema=path.startswith("/api/"),
            **extra,
        )

    def person(request: Request) -> Person:
        found: Person | None = request.state.session.person
        assert found is not None  # the route's access rule let only a signed-in person through
        return found

    @route("GET", "/healthz", Access.PUBLIC, response_class=PlainTextResponse)
    def healthz() -> str:
        return "ok"

    # ---- signing in and out

    @route("GET", "/login", Access.PUBLIC, response_class=HTMLResponse)
    def login_page(request: Request, next: str = "/") -> Response:
        return page(request, "login.html", {"title": "Sign in", "next": after_login(next)})

    @route("GET", "/auth/start", Access.PUBLIC)
    def start_sign_in(request: Request, next: str = "/") -> Response:
        if settings.oidc is None:
            raise Refused(404, "this console has no identity provider; it was started with the development login")
        try:
            url, pending = settings.oidc.start(after_login(next))
        except SignInFailed as failed:
            raise Refused(502, str(failed)) from None
        replace_session(request, dataclasses.replace(session_of(request), pending=pending))
        return RedirectResponse(url, status_code=303)

    @route("GET", "/auth/callback", Access.PUBLIC)
    def finish_sign_in(request: Request) -> Response:
        if settings.oidc is None:
            raise Refused(404, "this console has no identity provider; it was started with the development login")
        session = session_of(request)
        query = {k: v for k, v in request.query_params.items()}
        try:
            who = settings.oidc.finish(query, session.pending or {}, console.grants())
        except SignInFailed as failed:
            replace_session(request, dataclasses.replace(session, pending=None))
            raise Refused(400, str(failed)) from None
        after = (session.pending or {}).get("next", "/")
        fresh = Session.anonymous(request.app.state.codec.lifetime)  # a new CSRF token for the new person
        replace_session(request, dataclasses.replace(fresh, person=who))
        return RedirectResponse(after_login(after), status_code=303)

    @route("POST", "/login", Access.PUBLIC)
    async def login(request: Request) -> Response:
        if not settings.dev_login:
            raise Refused(403, "this console signs people in through the platform's identity provider")
        form = await request.form()
        name, email = str(form.get("name") or "").strip(), str(form.get("email") or "").strip()
        team, role = str(form.get("team") or "").strip(), str(form.get("role") or "viewer")
        if not name or "@" not in email:
            context = {"title": "Sign in", "next": after_login(str(form.get("next") or "/"))}
            context["error"] = "give a name and an e-mail address (they become the author of your commits)"
            return page(request, "login.html", context, 422)
        admin = role == "admin"
        teams = {team: Role(role)} if team and role in ("viewer", "editor") else {}
        who = Person(name, email, admin, teams)
        fresh = Session.anonymous(request.app.state.codec.lifetime)  # a new CSRF token for the new person
        replace_session(request, dataclasses.replace(fresh, person=who))
        return RedirectResponse(after_login(str(form.get("next") or "/")), status_code=303)

    @route("POST", "/logout", Access.VIEWER)
    def logout(request: Request) -> Response:
        replace_session(request, Session.anonymous(request.app.state.codec.lifetime))
        return RedirectResponse("/login", status_code=303)

    # ---- pages

    @route("GET", "/", Access.VIEWER, response_class=HTMLResponse)
    def catalog_page(request: Request, q: str = "", proposed: str = "") -> Response:
        snapshot = console.snapshot()
        cards = console.catalog(q)
        context: dict[str, Any] = {"title": "Services", "cards": cards, "q": q, "problems": snapshot.problems}
        context["proposal"] = console.proposals.get(proposed)  # the console's own record, not the address's words
        context |= {"total": len(snapshot.cards), "live": console.live.current()}
        return page(request, "catalog.html", context)

    @route("GET", "/add", Access.EDITOR, response_class=HTMLResponse)
    def new_page(request: Request) -> Response:
        who = person(request)
        values = {"route_path": "/", "team": next(iter(editable_teams(who, console.snapshot().teams)), "")}
        return _form_page(request, who, values, Checked(None), new=True)

    @route("POST", "/drafts", Access.EDITOR, response_class=HTMLResponse)
    async def draft_fragment(request: Request) -> Response:
        fields = await _posted(request)
        form, errors = parse_fields(fields)
        new = fields.get("new") == "true"
        checked = await run_in_threadpool(console.check, form, errors, new=new)
        return page(request, "_draft.html", {"checked": checked, "fields": EVERY_FIELD})

    @route("POST", "/drafts/plan", Access.EDITOR, response_class=HTMLResponse)
    async def draft_plan_fragment(request: Request) -> Response:
        fields = await _posted(request)
        form, errors = parse_fields(fields)
        new, base = fields.get("new") == "true", str(fields.get("base") or "")
        try:
            checked, found = await run_in_threadpool(lambda: console.plan_draft(form, errors, new=new, base=base))
            error = "" if found is not None else _not_yet(checked)
        except PlanBusy as busy:
            raise Refused(429, str(busy)) from None
        except DockyardError as failed:
            found, error = None, str(failed)
        return page(request, "_plan.html", {"planned": found, "error": error})

    @route("POST", "/services", Access.EDITOR, response_class=HTMLResponse)
    async def create(request: Request) -> Response:
        return await _save(request, new=True)

    @route("GET", "/services/{name}", Access.VIEWER, response_class=HTMLResponse)
    def service_page(request: Request, name: str, committed: str = "") -> Response:
        detail = _found(console.detail, name)
        who = person(request)
        context: dict[str, Any] = {"title": name, "detail": detail, "card": detail.card}
        context |= {"committed": committed[:12], "live": console.live.current()}
        context["graph"] = neighbourhood(detail.card, console.snapshot().cards)
        platform = console.snapshot().platform
        context["links"] = observability(platform, detail.card) if platform is not None else []
        context["callers"] = callers_of(name, console.snapshot().cards)
        context["can_edit"] = who.can_edit(detail.card.team)
        return page(request, "service.html", context)

    @route("POST", "/services/{name}/plan", Access.VIEWER, response_class=HTMLResponse)
    def plan_fragment(request: Request, name: str) -> Response:
        _found(console.card, name)
        try:
            found, error = console.plan(name), ""
        except PlanBusy as busy:
            raise Refused(429, str(busy)) from None
        except DockyardError as failed:
            found, error = None, str(failed)
        return page(request, "_plan.html", {"planned": found, "error": error})

    @route("GET", "/services/{name}/edit", Access.EDITOR, response_class=HTMLResponse)
    def edit_page(request: Request, name: str) -> Response:
        card = _found(console.card, name)
        who = person(request)
        if not who.can_edit(card.team):
            raise Refused(403, f"{who.name} may not change services of team {card.team or '(none)'}")
        files = console.files_of(name)
        try:
            values = {**current_fields(name, files), "team": card.team or "", "base": files_digest(files)}
        except CannotEdit as refused:
            raise Refused(422, str(refused)) from None
        return _form_page(request, who, values, Checked(None), new=False)

    @route("POST", "/services/{name}", Access.EDITOR, response_class=HTMLResponse)
    async def update(request: Request, name: str) -> Response:
        return await _save(request, new=False, name=name)

    async def _save(request: Request, *, new: bool, name: str | None = None) -> Response:
        who = person(request)
        fields = await _posted(request)
        if name is not None:
            fields["name"] = name  # a service is renamed by adding a new one, never by the edit form
        form, errors = parse_fields(fields)
        base = str(fields.get("base") or "")
        saved: Saved | None
        try:
            checked, saved = await run_in_threadpool(lambda: console.save(form, errors, who, new=new, base=base))
        except (Forbidden, NotFound) as refused:
            raise Refused(403 if isinstance(refused, Forbidden) else 404, str(refused)) from None
        except GitError as error:
            checked, saved = Checked(None), None
            checked.add("", str(error))
        if saved is None:
            shown = _shown_fields(fields)
            if not new:
                shown = {**_current(form.name), **shown}
            return _form_page(request, who, shown, checked, new=new, status=422)
        if saved.branch is not None:
            return RedirectResponse(f"/?{urlencode({'proposed': saved.branch})}", status_code=303)
        return RedirectResponse(f"/services/{form.name}?committed={saved.commit}", status_code=303)

    def _current(name: str) -> dict[str, Any]:
        """The rows of a service's secrets, files, disks and other ports as its files say (and how many files the form
        keeps as written), for a form shown again without them."""
        try:
            fields = current_fields(name, console.files_of(name))
        except CannotEdit:
            return {}
        return {key: fields[key] for key in ("secrets", "files", "files_kept", "volumes", "ports")}

    def _form_page(
        request: Request, who: Person, values: dict[str, Any], checked: Checked, *, new: bool, status: int = 200
    ) -> Response:
        teams = editable_teams(who, console.snapshot().teams)
        context: dict[str, Any] = {"title": "Add a service" if new else f"Change {values.get('name')}"}
        context["values"] = values
        context |= {"checked": checked, "new": new, "teams": teams, "fields": EVERY_FIELD}
        calls = values.get("calls")
        ticked = {c for c in calls if isinstance(c, str) and NAME.match(c)} if isinstance(calls, list) else set()
        known = {card.name for card in console.snapshot().cards} | ticked
        context["services"] = sorted(known - {values.get("name")})  # a callee the catalog lacks keeps its box
        context["setting_groups"] = [
            {
                "label": group.label,
                "description": group.description,
                "fields": group.fields,
                "open": any(values.get(f.name) or checked.errors.get(f.name) for f in group.fields),
            }
            for group in settings_form.groups()
        ]
        return page(request, "edit.html", context, status)

    # ---- jobs and their runs

    @route("GET", "/jobs", Access.VIEWER, response_class=HTMLResponse)
    def jobs_page(request: Request, started: str = "") -> Response:
        who = person(request)
        context: dict[str, Any] = {"title": "Jobs", "jobs": console.jobs(), "live": console.live.current()}
        context |= {"can_edit": who.can_edit, "started": started}
        return page(request, "jobs.html", context)

    @route("POST", "/jobs/{name}/runs", Access.EDITOR)
    def start_run(request: Request, name: str) -> Response:
        run = _job_action(lambda: console.start_run(name, person(request)))
        return RedirectResponse(f"/jobs?started={run}", status_code=303)

    @route("POST", "/jobs/{name}/runs/{run}/cancel", Access.EDITOR)
    def cancel_run(request: Request, name: str, run: str) -> Response:
        _job_action(lambda: console.cancel_run(name, run, person(request)))
        return RedirectResponse("/jobs", status_code=303)

    @route("GET", "/jobs/{name}/runs/{run}/logs", Access.EDITOR, response_class=HTMLResponse)
    def run_logs(request: Request, name: str, run: str) -> Response:
        found = _job_action(lambda: console.run_logs(name, run, person(request)))
        return page(request, "logs.html", {"title": f"Logs of {run}", "job": name, "run": run, "pods": found})

    @route("GET", "/api/jobs", Access.VIEWER, responses=answers(api.Jobs))
    def list_jobs() -> dict[str, Any]:
        live = console.live.current()
        return {
            "jobs": [
                {**c.as_json(), "status": live.state_of(c), "runs": [dataclasses.asdict(r) for r in live.runs_of(c)]}
                for c in console.jobs()
            ],
            "cluster_error": live.error,
        }

    @route(
        "POST",
        "/api/jobs/{name}/runs",
        Access.EDITOR,
        status_code=201,
        responses=answers(api.RunStarted, 201, _403=api.Failure, _404=api.Failure, _502=api.Failure),
    )
    def api_start_run(request: Request, name: str) -> dict[str, Any]:
        return {"run": _job_action(lambda: console.start_run(name, person(request)))}

    @route(
        "POST",
        "/api/jobs/{name}/runs/{run}/cancel",
        Access.EDITOR,
        responses=answers(api.RunCancelled, _403=api.Failure, _404=api.Failure, _502=api.Failure),
    )
    def api_cancel_run(request: Request, name: str, run: str) -> dict[str, Any]:
        _job_action(lambda: console.cancel_run(name, run, person(request)))
        return {"cancelled": run}

    @route(
        "GET",
        "/api/jobs/{name}/runs/{run}/logs",
        Access.EDITOR,
        responses=answers(api.RunLogs, _403=api.Failure, _404=api.Failure, _502=api.Failure),
    )
    def api_run_logs(request: Request, name: str, run: str) -> dict[str, Any]:
        found = _job_action(lambda: console.run_logs(name, run, person(request)))
        return {"pods": [{"pod": pod, "log": text} for pod, text in found]}

    # ---- the JSON API

    @route("GET", "/api/openapi.json", Access.VIEWER)
    def openapi() -> dict[str, Any]:
        return app.openapi()

    @route("GET", "/api/me", Access.VIEWER, responses=answers(api.Person))
    def me(request: Request) -> dict[str, Any]:
        return person(request).as_json()

    @route("GET", "/api/services", Access.VIEWER, responses=answers(api.Services))
    def list_services(q: str = "") -> dict[str, Any]:
        snapshot = console.snapshot()
        live = console.live.current()
        return {
            "cluster": console.cluster,
            "services": [
                {**c.as_json(), "status": live.state_of(c), "drift": list(live.drift_of(c))} for c in console.catalog(q)
            ],
            "problems": [str(p) for p in snapshot.problems],
            "cluster_error": live.error,
            "sync": dataclasses.asdict(live.sync) if live.sync else None,
        }

    @route("GET", "/api/services/{name}", Access.VIEWER, responses=answers(api.ServiceDetail, _404=api.Failure))
    def get_service(name: str) -> dict[str, Any]:
        detail = _found(console.detail, name)
        return {
            **detail.card.as_json(),
            "base": files_digest(console.files_of(name)),
            "called_by": callers_of(name, console.snapshot().cards),
            "values": [{"key": v.key, "value": v.value, "origin": v.origin} for v in detail.values],
            "history": [dataclasses.asdict(c) for c in detail.history],
        }

    @route(
        "POST",
        "/api/services/{name}/plan",
        Access.VIEWER,
        responses=answers(api.Plan, _404=api.Failure, _429=api.Failure, _502=api.Failure),
    )
    def plan_service(name: str) -> Response:
        _found(console.card, name)
        try:
            found = console.plan(name)
        except PlanBusy as busy:
            return JSONResponse({"error": str(busy)}, status_code=429)
        except DockyardError as failed:
            return JSONResponse({"error": str(failed)}, status_code=502)
        changes = [{"action": a, "object": o, "diff": d} for a, o, d in found.changes]
        return JSONResponse({"summary": found.summary, "changes": changes})

    @route(
        "POST", "/api/drafts", Access.EDITOR, openapi_extra=api.body(api.ServiceFields), responses=answers(api.Checked)
    )
    def check_draft(body: dict[str, Any] = Body(...)) -> dict[str, Any]:  # noqa: B008
        form, errors = parse_fields(body)
        checked = console.check(form, errors, new=bool(body.get("new")), base=str(body.get("base") or ""))
        return {**checked.as_json(), "files": sorted(checked.draft.files) if checked.draft else []}

    @route(
        "POST",
        "/api/drafts/plan",
        Access.EDITOR,
        openapi_extra=api.body(api.ServiceFields),
        responses=answers(api.Plan, _422=api.Checked, _429=api.Failure, _502=api.Failure),
    )
    def plan_draft(body: dict[str, Any] = Body(...)) -> Response:  # noqa: B008
        form, errors = parse_fields(body)
        try:
            checked, found = console.plan_draft(
                form, errors, new=bool(body.get("new")), base=str(body.get("base") or "")
            )
        except PlanBusy as busy:
            return JSONResponse({"error": str(busy)}, status_code=429)
        except DockyardError as failed:
            return JSONResponse({"error": str(failed)}, status_code=502)
        if found is None:
            return JSONResponse(checked.as_json(), status_code=422)
        changes = [{"action": a, "object": o, "diff": d} for a, o, d in found.changes]
        return JSONResponse({"ok": True, "summary": found.summary, "changes": changes})

    @route(
        "POST",
        "/api/services",
        Access.EDITOR,
        status_code=201,
        openapi_extra=api.body(api.ServiceFields),
        responses=answers(api.Saved, 201, _403=api.Failure, _409=api.Checked, _422=api.Checked),
    )
    def create_service(request: Request, body: dict[str, Any] = Body(...)) -> Response:  # noqa: B008
        return _api_save(request, body, new=True)

    @route(
        "PUT",
        "/api/services/{name}",
        Access.EDITOR,
        openapi_extra=api.body(api.ServiceFields),
        responses=answers(api.Saved, _403=api.Failure, _404=api.Failure, _409=api.Checked, _422=api.Checked),
    )
    def update_service(request: Request, name: str, body: dict[str, Any] = Body(...)) -> Response:  # noqa: B008
        return _api_save(request, {**body, "name": name}, new=False)

    def _api_save(request: Request, body: dict[str, Any], *, new: bool) -> Response:
        form, errors = parse_fields(body)
        try:
            checked, saved = console.save(form, errors, person(request), new=new, base=str(body.get("base") or ""))
        except Forbidden as refused:
            raise Refused(403, str(refused)) from None
        except NotFound as missing:
            raise Refused(404, str(missing)) from None
        except GitError as error:
            return JSONResponse({"ok": False, "errors": {"": [str(error)]}}, status_code=409)
        if saved is None:
            return JSONResponse(checked.as_json(), status_code=422)
        answer = {"ok": True, "commit": saved.commit, "service": form.name}
        if saved.branch:
            answer |= {"branch": saved.branch, "pushed_to": saved.pushed_to, "review": saved.review}
            answer |= {"pull_request": saved.opened, "not_opened": saved.not_opened}
        return JSONResponse(answer, status_code=201 if new else 200)

    return app


async def _posted(request: Request) -> dict[str, Any]:
    """The posted form's fields; an uploaded contract as text (at most 1 MiB, UTF-8)."""
    form = await request.form()
    fields: dict[str, Any] = {}
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            data = await value.read(MAX_CONTRACT_BYTES + 1)
            if not data:
                continue
            if len(data) > MAX_CONTRACT_BYTES:
                raise Refused(413, "the contract is larger than 1 MiB")
            try:
                fields[key] = data.decode("utf-8")
            except UnicodeDecodeError:
                raise Refused(400, "the contract is not UTF-8: upload an OpenAPI document in YAML or JSON") from None
        elif key in LIST_FIELDS:  # ticked boxes: one value each (an empty one says the list was shown)
            fields.setdefault(key, []).append(value)
        elif key != "csrf":
            fields[key] = value
    return fields


def _shown_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """The posted fields, to show the refused form again: a control character (which the field's
    error names) is shown as the replacement character, never sent back to the browser as it came."""
    shown = {k: NOT_TEXT.sub("\ufffd", v) if isinstance(v, str) else v for k, v in fields.items() if k != "contract"}
    for flag in ("database", "cache", "bucket"):
        shown[flag] = str(fields.get(flag, "")).lower() in ("on", "true", "1", "yes")
    posted_rows = {
        "secrets": secrets_form.rows(fields),
        "files": files_form.rows(fields),
        "volumes": volumes_form.rows(fields),
        "ports": ports_form.rows(fields),
    }
    for name, rows in posted_rows.items():
        if rows is not None:  # else as the files say (a form shown again without them must not drop them)
            shown[name] = [{k: NOT_TEXT.sub("\ufffd", v) for k, v in row.items()} for row in rows]
    return shown


def _not_yet(checked: Checked) -> str:
    problems = [f"{where or 'the service'}: {said}" for where, messages in checked.errors.items() for said in messages]
    return f"the form has {len(problems)} problem(s); fix them first ({'; '.join(problems[:3])})"


def _job_action(action: Callable[[], Any]) -> Any:
    """Run a job action; its refusals as the right answers (404, 403, 502 for the cluster's)."""
    try:
        return action()
    except (NotFound, RunMissing) as missing:
        raise Refused(404, str(missing)) from None
    except Forbidden as refused:
        raise Refused(403, str(refused)) from None
    except DockyardError as failed:
        raise Refused(502, str(failed)) from None


def _found(lookup: Callable[[str], Any], name: str) -> Any:
    try:
        return lookup(name)
    except NotFound as missing:
        raise Refused(404, str(missing)) from None


def _platform_name(console: Console) -> str:
    snapshot = console.snapshot()
    return snapshot.platform.name if snapshot.platform is not None else Path(console.root).name
