"""The console's forms and JSON API under hostile input: every field of a new service given values
that are wrong in type, size, encoding or intent. The console is a way into the platform repo (its
saves are commits), so it is held to what the corpus holds the commands to:

- an answer, never an internal error (a 5xx) or an exception;
- nothing read, written or connected outside the repo (the audit hook of guard.py), and a check of
  a draft writes nothing at all;
- a page shows the input escaped: no markup of the input's own, no raw control character;
- a save that is accepted commits only the service's own folder, and the repo it leaves validates
  with `dockyard validate` (the console never commits what the pipeline would refuse).
"""

from __future__ import annotations

import html
import json
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from dockyard.console.app import create_app
from dockyard.console.state import Console
from dockyard.console.text import NOT_TEXT
from dockyard.console.web import Settings
from tests.helpers import commit_all, copy_example, run_cli
from tests.hostile.guard import interpreter_places, watching
from tests.unit.console.conftest import sign_in

HOSTILE: dict[str, Any] = {
    "traversal": "../../outside",
    "absolute": "/etc/passwd",
    "nul": "a\x00b",
    "escape sequence": "\x1b[2J\x1b[31mred",
    "newline": "a\nkind: Secret",
    "yaml flow": "{a: 1, b: [2]}",
    "yaml tag": "!!python/object/apply:os.system ['id']",
    "markup": "<script>alert(1)</script>",
    "placeholder": "${resources.db.password}",
    "kubernetes expansion": "$(SECRET_TOKEN)",
    "template": "{{ .Values.secret }}",
    "lone surrogate": "\ud800",
    "bidirectional override": "abc\u202edef",
    "next line": "abc\x85def",
    "line separator": "abc\u2028def",
    "noncharacter": "abc\n\uffffdef\n",
    "huge": "x" * 200_000,
    "huge number": 10**30,
    "negative": -1,
    "list": ["a", "b"],
    "mapping": {"a": "b"},
    "null": None,
    "boolean": True,
}
FIELDS = (
    "name",
    "team",
    "image",
    "port",
    "metrics_port",
    "variables",
    "variable name",
    "route_host",
    "route_path",
    "health_path",
    "replicas",
    "contract",
    "runs",
    "schedule",
    "base",
    "setting.owner",
    "setting.autoscaling.maxReplicas",
    "calls",
    "secret name",
    "secret keys",
    "secret store",
    "file path",
    "file content",
    "disk name",
    "disk path",
    "disk size",
    "other port name",
    "other port number",
)
VALID = {
    "name": "hostile",
    "team": "shop",
    "image": "registry.example.org/hostile:1.0.0",
    "port": 8080,
    "health_path": "/healthz",
}
"""A service the console saves as it is (the base every hostile value is put into)."""
BENIGN = {
    "name": "hostile",
    "team": "shop",
    "image": "registry.example.org/hostile:1.0.1",
    "port": 8081,
    "metrics_port": 9090,
    "variables": "hello",
    "variable name": "GREETING",
    "route_host": "hostile",
    "route_path": "/hostile",
    "health_path": "/ready",
    "replicas": 2,
    "contract": None,
    "runs": "always",
    "schedule": "0 3 * * *",
    "base": None,
    "setting.owner": "payments on-call",
    "setting.autoscaling.maxReplicas": 5,
    "calls": ["orders"],
    "secret name": "smtp",
    "secret keys": "username, password",
    "secret store": "vault",
    "file path": "/etc/hostile/app.conf",
    "file content": "greeting = hello\n",
    "disk name": "data",
    "disk path": "/var/lib/hostile",
    "disk size": "5Gi",
    "other port name": "grpc",
    "other port number": 9000,
}
"""Per field, a value the console takes: so a refusal of a hostile one is the value's doing."""
ECHOED = ("name", "image", "route_host", "route_path", "health_path", "schedule", "setting.owner")
"""Fields a refused form shows again as posted (so the escaping check sees the value at all)."""
SHOWN_RAW = ("<script>alert(1)</script>", "\x1b", "\x00")
"""What a page must never carry as it was given."""


JSON = {"Content-Type": "application/json"}


def _json(body: dict[str, Any]) -> bytes:
    """As a JSON client may send it: a lone surrogate as its escape (`\\ud800`), which is valid JSON."""
    return json.dumps(body).encode()


def _utf8(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def _body(field: str, value: Any) -> dict[str, Any]:
    if field == "variables":
        return {**VALID, "variables": {"GREETING": value}}
    if field == "variable name":
        return {**VALID, "variables": {value if isinstance(value, str) else json.dumps(value): "x"}}
    if field == "route_path":  # a path is published only with a host
        return {**VALID, "route_host": "hostile", "route_path": value}
    if field == "secret name":
        return {**VALID, "secrets": [{"id": value, "keys": ["password"]}]}
    if field == "secret keys":
        return {**VALID, "secrets": [{"id": "smtp", "keys": value}]}
    if field == "secret store":
        return {**VALID, "secrets": [{"id": "smtp", "keys": ["password"], "from": "store", "store": value}]}
    if field == "file path":
        return {**VALID, "files": [{"target": value, "content": "greeting = hello\n"}]}
    if field == "file content":
        return {**VALID, "files": [{"target": "/etc/hostile/app.conf", "content": value}]}
    if field.startswith("disk "):  # one replica: a disk attaches to one node
        disk = {"id": "data", "target": "/var/lib/hostile", "size": "5Gi"}
        disk[{"disk name": "id", "disk path": "target", "disk size": "size"}[field]] = value
        return {**VALID, "replicas": 1, "volumes": [disk]}
    if field == "other port name":
        return {**VALID, "ports": [{"name": value, "port": 9000}]}
    if field == "other port number":
        return {**VALID, "ports": [{"name": "grpc", "port": value}]}
    if field == "schedule":  # a schedule is a job's, and a job has no port or health check
        job = {k: v for k, v in VALID.items() if k not in ("port", "health_path")}
        return {**job, "runs": "on-schedule", "schedule": value}
    return {**VALID, field: value}


@pytest.fixture(scope="module")
def place(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str, TestClient]]:
    root = copy_example(tmp_path_factory.mktemp("console-hostile") / "repo")
    commit_all(root, "the example")
    first = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True)
    console = Console(root, "local", recheck=0.0, kubeconfig=root.parent / "no-kubeconfig", live_every=60.0)
    client = sign_in(
        TestClient(create_app(console, Settings(dev_login=True, secure_cookies=False)), "http://127.0.0.1")
    )
    yield root, first.stdout.strip(), client


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True).stdout


@pytest.mark.parametrize("field", FIELDS)
def test_hostile_values_of_a_field_get_an_answer_and_change_nothing_outside_the_services_folder(
    field: str,
    place: tuple[Path, str, TestClient],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root, first, client = place
    accepted = []
    benign = client.post("/api/drafts", content=_json({**_body(field, BENIGN[field]), "new": True}), headers=JSON)
    assert benign.json()["ok"], benign.json()
    # names opened relative to a descriptor (the draft folder's removal) are placed from here
    monkeypatch.chdir(tmp_path)
    scratch = Path(tempfile.gettempdir())  # the drafts' private copies of the repo
    readable = (root.parent, *interpreter_places(), scratch)
    failures = []
    for label, value in HOSTILE.items():
        body = _body(field, value)
        with watching(readable, (root, scratch), ()) as watch:
            draft = client.post("/api/drafts", content=_json({**body, "new": True}), headers=JSON)
            saved = client.post("/api/services", content=_json(body), headers=JSON)
        if watch.escapes:
            failures.append(f"{label}: touched {watch.escapes[:3]}")
        for answer in (draft, saved):
            if answer.status_code >= 500:
                failures.append(f"{label}: {answer.request.url.path} answered {answer.status_code}")
        if saved.status_code == 201:
            accepted.append(label)
            changed = _git(root, "diff", "--name-only", f"{first}..HEAD").split()
            if not changed or not all(path.startswith(f"services/{VALID['name']}/") for path in changed):
                failures.append(f"{label}: the save committed {changed}")
            validated = run_cli(capsys, "validate", str(root))
            if validated.code != 0:
                failures.append(f"{label}: the console committed what validate refuses: {validated.err[:300]}")
            _git(root, "reset", "--quiet", "--hard", first)
        elif _git(root, "rev-parse", "HEAD").strip() != first or _git(root, "status", "--porcelain"):
            failures.append(f"{label}: a refused save ({saved.status_code}) changed the repo")
            _git(root, "reset", "--quiet", "--hard", first)
            _git(root, "clean", "-fdq")
        if isinstance(value, str) and _utf8(value):  # the HTML form takes text only
            posted = {k: str(v) for k, v in _body(field, value).items() if isinstance(v, str | int) and v is not True}
            posted["new"] = "true"
            checked = client.post("/drafts", data=posted)  # the live check, shown at the fields
            refused = client.post("/services", data=posted, follow_redirects=False)  # a refusal re-renders the form
            if refused.status_code == 303:  # taken: the commit is the save's, checked above
                _git(root, "reset", "--quiet", "--hard", first)
            for what, page in (("check", checked), ("refused save", refused)):
                if page.status_code >= 500:
                    failures.append(f"{label}: the form's {what} answered {page.status_code}")
                shown = [raw for raw in SHOWN_RAW if raw in value and raw in page.text]
                if shown:
                    failures.append(f"{label}: the form's {what} shows {shown!r} as given")
            echoed = NOT_TEXT.sub("\ufffd", value)  # a control character comes back as the replacement character
            if refused.status_code == 422 and echoed not in html.unescape(refused.text) and field in ECHOED:
                failures.append(f"{label}: the refused form does not show what was posted in {field}")
    assert failures == []
    print(f"{field}: {len(accepted)} of {len(HOSTILE)} saved ({', '.join(accepted)})")


def test_a_value_of_the_wrong_type_or_with_control_characters_is_refused_at_its_field(
    place: tuple[Path, str, TestClient],
) -> None:
    _root, _first, client = place
    not_text = (
        "holds a control character, a line or paragraph separator, a noncharacter or half of a surrogate pair, "
        "which no value may: remove it"
    )
    cases = {
        "image": (["a"], "must be text, not a list"),
        "port": (True, "must be a whole number, not true or false"),
        "variables": ({"A": {"b": 1}}, "the value of `A` must be text, not a mapping"),
        "team": ("sh\x00op", not_text),
        "route_path": ("/\ud800", not_text),
        "database": ([True], "must be true or false, not a list"),
        "health_path": ("/ready\x85", not_text),  # YAML reads NEL as a line break
        "route_host": ("shop\u2028admin", not_text),
    }
    for field, (value, message) in cases.items():
        answer = client.post("/api/drafts", content=_json({**VALID, field: value, "new": True}), headers=JSON)
        assert answer.status_code == 200, answer.text
        assert answer.json()["errors"][field][0] == message, (field, answer.json())


def test_hostile_text_that_is_a_valid_value_is_saved_as_data(place: tuple[Path, str, TestClient]) -> None:
    """Markup, placeholders and YAML in a variable's value are a value like any other: committed
    as data, never as YAML, template or markup of the files."""
    root, first, client = place
    variables = {"MARKUP": "<script>alert(1)</script>", "FLOW": "{a: 1, b: [2]}", "TAG": "!!python/object/apply:x"}
    try:
        saved = client.post("/api/services", content=_json({**VALID, "variables": variables}), headers=JSON)
        assert saved.status_code == 201, saved.text
        import yaml

        score = yaml.safe_load((root / "services" / "hostile" / "score.yaml").read_text())
        assert score["containers"]["main"]["variables"] == variables
    finally:
        _git(root, "reset", "--quiet", "--hard", first)
