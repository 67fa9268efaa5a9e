"""Pull requests opened through a real forge's API (Gitea, built from its Go module): the console
pushes a change's branch and opens its pull request into the branch it works on; every refusal is
a sentence that says what to do and never carries the token; the branch stays pushed when the
forge refuses."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from dockyard.console.forge import ForgeError, open_review
from dockyard.model.settings import ForgeReview
from tests.gitea import ADMIN, REPOSITORY, Gitea, running_gitea
from tests.helpers import git
from tests.unit.console.test_console import NEW

pytestmark = pytest.mark.tools


@pytest.fixture(scope="module")
def forge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gitea]:
    with running_gitea(tmp_path_factory.mktemp("gitea")) as server:
        yield server


def _review_in(repo: Path, forge: Gitea, token_env: str = "DOCKYARD_FORGE_TOKEN") -> None:
    git(repo, "remote", "add", "origin", forge.clone_url)
    with (repo / "platform.yaml").open("a") as platform:
        platform.write(
            "console:\n  changes: branch\n  remote: origin\n  review:\n    forge: gitea\n"
            f"    api: {forge.api}\n    repository: {ADMIN}/{REPOSITORY}\n    tokenEnv: {token_env}\n"
        )
    git(repo, "commit", "-qam", "changes go through review on the forge")
    git(repo, "push", "--quiet", "--force", "origin", "HEAD:refs/heads/main")


def test_a_change_opens_its_pull_request_on_the_forge(
    signed_in: Callable[..., TestClient], repo: Path, forge: Gitea, monkeypatch: pytest.MonkeyPatch
) -> None:
    _review_in(repo, forge)
    token = forge.token("write:repository")
    monkeypatch.setenv("DOCKYARD_FORGE_TOKEN", token)
    client = signed_in("editor")
    created = client.post("/api/services", json={**NEW, "database": True, "variables": {}})
    assert created.status_code == 201, created.text
    answer = created.json()
    assert answer["pull_request"] and answer["not_opened"] is None
    pull = forge.pull(answer["pull_request"])
    assert pull["html_url"] == answer["review"]
    assert pull["title"] == "Add service billing (from the Dockyard console)"
    assert pull["head"]["ref"] == answer["branch"] and pull["base"]["ref"] == "main"  # type: ignore[index]
    assert pull["head"]["sha"] == answer["commit"]  # type: ignore[index]
    assert "Proposed by Ada Lovelace in the Dockyard console" in str(pull["body"])
    assert token not in created.text
    page = client.post("/services", data={**NEW, "name": "ledger", "csrf": client.headers["X-CSRF-Token"]})
    shown = re.search(r'<a href="([^"]+)">pull request #(\d+)</a> is open', page.text)
    assert shown is not None, page.text
    assert forge.pull(int(shown.group(2)))["html_url"] == shown.group(1)
    assert token not in page.text


def test_when_the_forge_refuses_the_branch_stays_pushed_and_the_page_says_why(
    signed_in: Callable[..., TestClient], repo: Path, forge: Gitea, monkeypatch: pytest.MonkeyPatch
) -> None:
    _review_in(repo, forge)
    token = forge.token("read:repository")  # may read, not open pull requests
    monkeypatch.setenv("DOCKYARD_FORGE_TOKEN", token)
    client = signed_in("editor")
    created = client.post("/api/services", json={**NEW, "name": "refused", "database": True, "variables": {}})
    assert created.status_code == 201, created.text
    answer = created.json()
    assert answer["pull_request"] is None
    assert answer["not_opened"].startswith("the forge refused the console's token (403: token does not have at least")
    assert answer["not_opened"].endswith(
        f"give DOCKYARD_FORGE_TOKEN a token that may open pull requests on {ADMIN}/{REPOSITORY}"
    )
    assert git(repo, "ls-remote", "origin", answer["branch"]).split()[0] == answer["commit"]
    page = client.post("/services", data={**NEW, "name": "ledger", "csrf": client.headers["X-CSRF-Token"]})
    assert "The console could not open the pull request: the forge refused the console&#39;s token (403" in page.text
    assert token not in page.text and token not in created.text


def test_each_refusal_says_what_to_do_and_never_carries_the_token(forge: Gitea, tmp_path: Path) -> None:
    work = tmp_path / "work"
    git(tmp_path, "init", "--quiet", "-b", "main", str(work))
    git(work, "commit", "--quiet", "--allow-empty", "-m", "first")
    git(work, "push", "--quiet", "--force", forge.clone_url, "main")
    git(work, "commit", "--quiet", "--allow-empty", "-m", "a change")
    git(work, "push", "--quiet", "--force", forge.clone_url, "HEAD:refs/heads/console/x-1")
    review = ForgeReview("gitea", forge.api, f"{ADMIN}/{REPOSITORY}")
    good = forge.token("write:repository")

    def refusal(forge_review: ForgeReview, token: str | None, branch: str = "console/x-1") -> str:
        environ = {} if token is None else {"DOCKYARD_FORGE_TOKEN": token}
        with pytest.raises(ForgeError) as refused:
            open_review(forge_review, branch=branch, base="main", title="t", body="b", environ=environ, wait=0.5)
        return str(refused.value)

    assert refusal(review, None) == (
        "the console has no token for the forge: set DOCKYARD_FORGE_TOKEN in its environment (a token that may "
        f"open pull requests on {ADMIN}/{REPOSITORY})"
    )
    wrong = "0123456789abcdef0123456789abcdef01234567"
    assert refusal(review, wrong) == (
        "the forge refused the console's token (401: invalid username, password or token); give "
        f"DOCKYARD_FORGE_TOKEN a token that may open pull requests on {ADMIN}/{REPOSITORY}"
    )
    elsewhere = ForgeReview("gitea", forge.api, f"{ADMIN}/no-such-repo")
    assert refusal(elsewhere, good) == (
        f"the forge at {forge.api} knows no repository {ADMIN}/no-such-repo with branch console/x-1 and its base "
        "(404); check console.review, and that console.remote is that repository"
    )
    opened = open_review(
        review, branch="console/x-1", base="main", title="t", body="b", environ={"DOCKYARD_FORGE_TOKEN": good}
    )
    assert forge.pull(opened.number)["html_url"] == opened.url
    again = refusal(review, good)
    assert again.startswith("the forge already has a pull request for this branch (409: pull request already exists")
    plain = ForgeReview("gitea", "http://git.example.test/api/v1", f"{ADMIN}/{REPOSITORY}")
    assert refusal(plain, good) == (
        "the forge's API http://git.example.test/api/v1 is not HTTPS; the console sends its token only over HTTPS"
    )
    for message in (refusal(review, wrong), again):
        assert good not in message and wrong not in message
