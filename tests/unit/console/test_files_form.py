"""The form's files: text files of the service's container, each a path and its content. One read
from a file of the service's folder (`source`) is changed in that file; one written in score.yaml
(`content`) there; new ones are written in score.yaml; the ones the form cannot show as text are
kept as written and never removed by it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from dockyard import actions
from dockyard.render import services
from tests.helpers import git
from tests.unit.console.conftest import posted_page

WEB = {
    "name": "web",
    "team": "shop",
    "image": "ghcr.io/dockyard-examples/shop-web:2.3.0",
    "port": "8080",
    "health_path": "/healthz",
    "calls": ["orders"],
    "route_host": "www",
    "variables": {"PUBLIC_HOST": "${resources.public.host}"},
    "replicas": 2,
}
SCORE = "services/web/score.yaml"
NGINX = "/etc/nginx/conf.d/default.conf"


def _files(repo: Path) -> list[dict[str, object]]:
    return yaml.safe_load((repo / SCORE).read_text())["containers"]["web"]["files"]


def _config_map_data(repo: Path) -> dict[str, str]:
    platform = actions.platform_for(actions.load_repo(repo), "local")
    found = services.render(platform)
    maps = [o.manifest for o in found.objects if o.kind == "ConfigMap" and o.name.startswith("web")]
    return {k: v for m in maps for k, v in (m.get("data") or {}).items()}


def test_a_file_read_from_the_folder_is_shown_and_changed_in_that_file(
    signed_in: Callable[..., TestClient], repo: Path
) -> None:
    client = signed_in("editor")
    page = client.get("/services/web/edit").text
    assert f'name="file_target" value="{NGINX}"' in page
    assert "location /api/ { proxy_pass ${resources.orders.url}/; }" in page
    nginx = (repo / "services/web/nginx.conf").read_text()
    score = (repo / SCORE).read_text()
    changed = nginx.replace("listen 8080;", "listen 8080;\n    gzip on;")
    answer = client.put(
        "/api/services/web",
        json={**WEB, "files": [{"target": NGINX, "content": changed.replace("\n", "\r\n")}]},  # as a browser posts it
    )
    assert answer.status_code == 200, answer.text
    assert (repo / "services/web/nginx.conf").read_text() == changed  # its line ends as they were
    assert (repo / SCORE).read_text() == score  # the entry, its mode and its source untouched
    assert "gzip on;" in "".join(_config_map_data(repo).values())
    assert git(repo, "show", "--stat", "--format=", "HEAD").split()[0] == "services/web/nginx.conf"


def test_a_new_file_is_written_in_score_yaml_and_removed_from_it(
    signed_in: Callable[..., TestClient], repo: Path
) -> None:
    client = signed_in("editor")
    nginx = {"target": NGINX, "content": (repo / "services/web/nginx.conf").read_text()}
    robots = {"target": "/usr/share/nginx/html/robots.txt", "content": "User-agent: *\nDisallow: /api/\n"}
    template = {"target": "/etc/web/hello.txt", "content": "host ${HOST}\n", "placeholders": "as-written"}
    added = client.put("/api/services/web", json={**WEB, "files": [nginx, robots, template]})
    assert added.status_code == 200, added.text
    text = (repo / SCORE).read_text()
    assert (
        "      - target: /usr/share/nginx/html/robots.txt\n        content: |\n          User-agent: *\n"
        "          Disallow: /api/\n      - target: /etc/web/hello.txt\n        content: |\n          host ${HOST}\n"
        "        noExpand: true\n"
    ) in text
    data = _config_map_data(repo)
    assert "User-agent: *\nDisallow: /api/\n" in data.values() and "host ${HOST}\n" in data.values()
    page = client.get("/services/web/edit").text
    assert 'value="as-written" selected' in page

    removed = client.put("/api/services/web", json={**WEB, "files": [nginx]})
    assert removed.status_code == 200, removed.text
    assert [f["target"] for f in _files(repo)] == [NGINX]
    assert (repo / "services/web/nginx.conf").exists()  # the file of the folder stays (another may read it)
    assert git(repo, "status", "--porcelain") == ""


def test_a_request_that_does_not_name_the_files_keeps_them(signed_in: Callable[..., TestClient], repo: Path) -> None:
    answer = signed_in("editor").put("/api/services/web", json={**WEB, "replicas": 3})
    assert answer.status_code == 200, answer.text
    assert _files(repo) == [{"target": NGINX, "source": "nginx.conf", "mode": "0644"}]


def test_a_file_the_form_cannot_show_is_kept_and_never_taken_over(
    signed_in: Callable[..., TestClient], repo: Path
) -> None:
    client = signed_in("editor")
    _with_files(repo, "      - target: /srv/logo.png\n        binaryContent: iVBORw0KGgo=\n")
    page = client.get("/services/web/edit").text
    assert "1 more file (binary, or read from outside the service's folder) is kept as written." in page
    assert 'value="/srv/logo.png"' not in page
    nginx = {"target": NGINX, "content": (repo / "services/web/nginx.conf").read_text()}
    kept = client.put("/api/services/web", json={**WEB, "replicas": 3, "files": [nginx]})
    assert kept.status_code == 200, kept.text
    assert [f["target"] for f in _files(repo)] == [NGINX, "/srv/logo.png"]
    taken = client.put("/api/services/web", json={**WEB, "files": [nginx, {"target": "/srv/logo.png", "content": "x"}]})
    assert taken.status_code == 422, taken.text
    assert taken.json()["errors"]["files"] == [
        "`/srv/logo.png` is a file the form keeps as written (binary, or read from outside the service's folder): "
        "change it in the files, or give another path"
    ]


def test_the_page_posts_one_row_per_file(signed_in: Callable[..., TestClient], repo: Path) -> None:
    client = signed_in("editor")
    page = client.get("/services/web/edit").text
    base = page.split('name="base" value="')[1].split('"')[0]
    csrf = page.split('name="csrf" value="')[1].split('"')[0]
    nginx = (repo / "services/web/nginx.conf").read_text().replace("\n", "\r\n")
    form = {k: v for k, v in WEB.items() if k not in ("calls", "variables")}
    rows = {
        "file_target": [NGINX, "/etc/motd", ""],
        "file_content": [nginx, "hello\r\n", ""],
        "file_placeholders": ["filled", "filled", "filled"],
    }
    posted = {**form, **rows, "calls": ["", "orders"], "variables": "PUBLIC_HOST=${resources.public.host}"}
    answer = client.post("/services/web", data={**posted, "base": base, "csrf": csrf}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    assert _files(repo)[1] == {"target": "/etc/motd", "content": "hello\n"}


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ([{"target": "etc/app.conf", "content": "x"}], "is not a file's path in the container"),
        ([{"target": "/etc/../app.conf", "content": "x"}], "is not a file's path in the container"),
        ([{"target": "/etc/app/", "content": "x"}], "is not a file's path in the container"),
        ([{"target": "", "content": "x"}], "a file needs the path it has in the container, e.g. /etc/app/config.yaml"),
        ([{"target": "/a\nb", "content": "x"}], "holds a line end, a tab or a control character"),
        ([{"target": "/a", "content": 5}], "`/a`: its content is text"),
        ([{"target": "/a", "content": "x\x85y"}], "`/a`: the content holds a control character"),
        ([{"target": "/a", "content": "x" * (256 * 1024 + 1)}], "`/a`: the content is larger than 256 KiB"),
        ([{"target": "/a", "content": "x", "placeholders": "maybe"}], "placeholders are `filled` or left"),
        ([{"target": "/a", "content": "x"}, {"target": "/a", "content": "y"}], "`/a` is given twice"),
        ([{"target": "/a", "content": "x", "mode": "0777"}], "a file has no `mode`"),
        ({"/a": "x"}, "must be a list of files, each with `target`, `content` and `placeholders`"),
    ],
)
def test_what_cannot_be_a_file_is_said_at_the_field_and_nothing_is_written(
    signed_in: Callable[..., TestClient], repo: Path, files: object, message: str
) -> None:
    answer = signed_in("editor").put("/api/services/web", json={**WEB, "files": files})
    assert answer.status_code == 422, answer.text
    (said,) = answer.json()["errors"]["files"]
    assert message in said, said
    assert git(repo, "status", "--porcelain") == ""


def test_a_problem_in_a_files_content_is_shown_at_the_files(signed_in: Callable[..., TestClient], repo: Path) -> None:
    wrong = {"target": "/etc/web/hello.txt", "content": "url ${resources.nothing.url}\n"}
    answer = signed_in("editor").post("/api/drafts", json={**WEB, "files": [wrong]})
    assert answer.status_code == 200, answer.text
    assert "resources.nothing.url" in " ".join(answer.json()["errors"]["files"])


def test_a_files_content_comes_back_from_score_yaml_exactly_as_given() -> None:
    from dockyard.console.form import draft, parse_fields

    contents = [
        "one line",
        "ends with a line end\n",
        "  indented first line\nthen not\n",
        "blank lines after\n\n\n",
        "\n\nblank lines before\n",
        "tab\there\n",
        "trailing spaces  \nhere\n",
        "# not a comment\n- not a list\n---\n...\n",
        "key: value\n",
        "unicode: é ü ✓\n",
        "\ufeffa byte order mark\n",
        " \n",
        "\"quoted\" and 'single'\n",
    ]
    for content in contents:
        form, errors = parse_fields(
            {"name": "svc", "team": "shop", "image": "a:1", "files": [{"target": "/etc/a", "content": content}]}
        )
        assert errors == [], content
        written = draft(form, {}).files["services/svc/score.yaml"]
        assert yaml.safe_load(written)["containers"]["main"]["files"] == [{"target": "/etc/a", "content": content}]


def test_the_services_own_files_are_never_shown_or_written_as_a_containers_file(
    signed_in: Callable[..., TestClient], repo: Path
) -> None:
    client = signed_in("editor")
    score = _with_files(repo, "      - target: /srv/score.yaml\n        source: score.yaml\n")
    page = client.get("/services/web/edit").text
    assert 'value="/srv/score.yaml"' not in page and "1 more file" in page
    taken = client.put("/api/services/web", json={**WEB, "files": [{"target": "/srv/score.yaml", "content": "x"}]})
    assert taken.status_code == 422, taken.text
    assert (repo / SCORE).read_text() == score


def test_the_contract_and_a_file_of_the_same_name_are_not_changed_at_once(repo: Path) -> None:
    from dockyard.console.form import CannotEdit, current_fields, draft, parse_fields

    folder = repo / "services/orders"
    score = (
        (folder / "score.yaml")
        .read_text()
        .replace(
            "    livenessProbe:\n",
            "    files:\n      - target: /srv/openapi.yaml\n        source: openapi.yaml\n    livenessProbe:\n",
            1,
        )
    )
    existing = {name: (folder / name).read_bytes() for name in ("dockyard.yaml", "openapi.yaml")}
    existing["score.yaml"] = score.encode()
    fields = current_fields("orders", existing)
    fields["files"] = [{"target": "/srv/openapi.yaml", "content": "openapi: 3.1.0\n"}]
    form, errors = parse_fields({**fields, "team": "shop", "contract": "openapi: 3.0.3\n"})
    assert errors == []
    with pytest.raises(CannotEdit) as refused:
        draft(form, existing)
    assert refused.value.field == "contract"
    assert str(refused.value) == (
        "services/orders/openapi.yaml is both the contract and a file of the container; upload the contract or "
        "change the file, not both at once"
    )


def _with_files(repo: Path, entries: str) -> str:
    """score.yaml of web with `entries` (list items, as lines) after its nginx.conf, committed."""
    score = (repo / SCORE).read_text().replace('        mode: "0644"\n', '        mode: "0644"\n' + entries)
    (repo / SCORE).write_text(score)
    git(repo, "commit", "-qam", "files by hand")
    return score


def test_removing_files_before_others_keeps_each_files_own_entry(
    signed_in: Callable[..., TestClient], repo: Path
) -> None:
    _with_files(
        repo,
        "      - target: /etc/a\n        content: a\n"
        "      - target: /srv/logo.png\n        binaryContent: iVBORw0KGgo=\n"
        "      - target: /etc/b\n        content: b\n      - target: /etc/c\n        content: c  # the third\n",
    )
    nginx = {"target": NGINX, "content": (repo / "services/web/nginx.conf").read_text()}
    answer = signed_in("editor").put(
        "/api/services/web",
        json={**WEB, "files": [nginx, {"target": "/etc/c", "content": "C"}, {"target": "/etc/d", "content": "d"}]},
    )
    assert answer.status_code == 200, answer.text
    assert _files(repo) == [
        {"target": NGINX, "source": "nginx.conf", "mode": "0644"},
        {"target": "/srv/logo.png", "binaryContent": "iVBORw0KGgo="},
        {"target": "/etc/c", "content": "C"},
        {"target": "/etc/d", "content": "d"},
    ]
    assert "content: C  # the third\n" in (repo / SCORE).read_text()


def test_a_source_file_with_cr_lf_line_ends_keeps_them(signed_in: Callable[..., TestClient], repo: Path) -> None:
    nginx = repo / "services/web/nginx.conf"
    nginx.write_bytes(nginx.read_bytes().replace(b"\n", b"\r\n"))
    git(repo, "commit", "-qam", "CR LF")
    client = signed_in("editor")
    text = nginx.read_bytes().decode()
    same = client.put("/api/services/web", json={**WEB, "replicas": 3, "files": [{"target": NGINX, "content": text}]})
    assert same.status_code == 200, same.text
    assert git(repo, "show", "--stat", "--format=", "HEAD").split()[0] == "services/web/dockyard.yaml"
    changed = text.replace("listen 8080;", "listen 8081;")
    answer = client.put(
        "/api/services/web", json={**WEB, "replicas": 3, "files": [{"target": NGINX, "content": changed}]}
    )
    assert answer.status_code == 200, answer.text
    assert nginx.read_bytes() == changed.encode()  # CR LF still


def test_a_leading_blank_line_survives_the_page(signed_in: Callable[..., TestClient], repo: Path) -> None:
    _with_files(repo, '      - target: /etc/motd\n        content: "\\nwelcome\\n"\n')
    page = signed_in("editor").get("/services/web/edit").text
    assert ">\n\nwelcome\n</textarea>" in page  # the line end after the tag is the parser's, the next one the file's


@pytest.mark.parametrize(
    ("entries", "why"),
    [
        ("      - target: /etc/one\n        source: nginx.conf\n", "a source two files share"),
        ("      - target: /etc/big\n        source: big.conf\n", "a source over 256 KiB"),
        ("      - target: /etc/linked\n        source: linked.conf\n", "a source linked from elsewhere"),
    ],
)
def test_files_the_form_cannot_change_safely_are_kept_and_the_page_still_saves(
    signed_in: Callable[..., TestClient], repo: Path, entries: str, why: str
) -> None:
    (repo / "services/web/big.conf").write_text("x" * (256 * 1024 + 1))
    (repo / "services/web/linked.conf").symlink_to("../orders/openapi.yaml")
    score = _with_files(repo, entries)
    client = signed_in("editor")
    page = client.get("/services/web/edit").text
    kept = 2 if "/etc/one" in entries else 1  # the two entries sharing a source, or the one
    assert f"{kept} more file" in page, why
    if "/etc/one" in entries:
        assert f'value="{NGINX}"' not in page, why
    posted = posted_page(page)
    answer = client.post("/services/web", data={**posted, "replicas": "3"}, follow_redirects=False)
    assert answer.status_code == 303, (why, answer.text[-3000:])
    assert (repo / SCORE).read_text() == score, why
    assert (repo / "services/web/linked.conf").is_symlink()
