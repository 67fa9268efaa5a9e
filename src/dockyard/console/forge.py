"""Open the pull request for a change's branch through the forge's API (`console.review` in the
layers): Gitea and Forgejo, or GitHub, whose pull-request endpoints take the same request
(`POST {api}/repos/{owner}/{name}/pulls` with title, body, head and base).

The token is read from the console's environment (`tokenEnv`), sent only to the API the layers
name, over HTTPS (plain HTTP only to a loopback address), never with a redirect followed, and
never written into an answer, a page or a log: an error says what the forge answered, not what
was sent.
"""

from __future__ import annotations

import ipaddress
import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import httpx

from dockyard.console.gitrepo import remote_place
from dockyard.errors import printable
from dockyard.model.settings import ForgeReview

TIMEOUT = 15.0
"""Seconds the forge may take to answer."""
MAX_SHOWN = 200
"""Characters of the forge's own message an error quotes."""
TOKEN = re.compile(r"[\x21-\x7e]+")
"""What a token is made of (it goes into a header as it is)."""
BRANCH_WAIT = 10.0
"""Seconds a branch just pushed may take to be known to the forge's API (Gitea takes a push in
the background; a pull request of a branch it does not know yet is a 404)."""


@dataclass(frozen=True)
class Review:
    """A pull request the forge opened."""

    number: int
    url: str


class ForgeError(Exception):
    """The pull request could not be opened; the message says why and what to do."""


def open_review(
    forge: ForgeReview,
    *,
    branch: str,
    base: str,
    title: str,
    body: str,
    environ: Mapping[str, str] | None = None,
    wait: float = BRANCH_WAIT,
) -> Review:
    """Open a pull request of `branch` into `base`; ForgeError says why it could not be opened.
    `wait`: how long a branch the forge does not know yet is asked about again."""
    token = (os.environ if environ is None else environ).get(forge.token_env, "")
    if not token:
        raise ForgeError(
            f"the console has no token for the forge: set {forge.token_env} in its environment "
            "(a token that may open pull requests on " + forge.repository + ")"
        )
    if not TOKEN.fullmatch(token):
        raise ForgeError(
            f"the token in {forge.token_env} holds characters a token cannot have (spaces, line ends or others "
            "outside printable ASCII); set it to the token alone"
        )
    _refuse_plain_http(forge.api)
    owner, _, name = forge.repository.partition("/")
    url = f"{forge.api}/repos/{quote(owner, safe='')}/{quote(name, safe='')}/pulls"
    headers = {"Authorization": f"token {token}", "Accept": "application/json"}
    if forge.forge == "github":
        headers["Accept"] = "application/vnd.github+json"
    request = {"title": title, "body": body, "head": branch, "base": base}
    deadline = time.monotonic() + wait
    pause = 0.2
    while True:
        response = _post(forge, url, request, headers)
        if response.status_code in (200, 201):
            return _review(forge, response)
        if response.status_code != 404 or time.monotonic() + pause > deadline:
            raise ForgeError(_refusal(forge, response, branch).replace(token, "(the token)"))
        time.sleep(pause)  # a branch just pushed may not be known to the forge's API yet
        pause = min(pause * 2, 2.0)


def _review(forge: ForgeReview, response: httpx.Response) -> Review:
    """The pull request in the forge's answer; its address only when it is a web address (the
    page links to it)."""
    try:
        answer = response.json()
        number, url = int(answer["number"]), str(answer["html_url"])
    except (ValueError, KeyError, TypeError):
        raise ForgeError(f"the forge at {forge.api} answered without a pull request's number and address") from None
    if urlsplit(url).scheme not in ("https", "http"):
        raise ForgeError(f"the forge at {forge.api} answered with a pull request address that is not a web address")
    return Review(number, url)


def _post(forge: ForgeReview, url: str, request: dict[str, str], headers: dict[str, str]) -> httpx.Response:
    try:
        return httpx.post(url, json=request, headers=headers, timeout=TIMEOUT, follow_redirects=False)
    except httpx.HTTPError as error:
        raise ForgeError(f"the forge at {forge.api} could not be reached ({type(error).__name__})") from None


def same_forge(api: str, remote_url: str | None) -> None:
    """ForgeError unless the API is on the host the branch was pushed to (or its `api.` host, as
    GitHub's is): the token goes only to the forge that has the branch."""
    place = remote_place(remote_url)
    pushed = place[0] if place else None
    host = (urlsplit(api).hostname or "").lower()
    if pushed is None or host not in (pushed, f"api.{pushed}"):
        raise ForgeError(
            f"console.review.api is on {host or 'no host'}, but the branch is pushed to "
            f"{pushed or 'a remote that is not on a forge'}; the console sends its token only to the forge the "
            "branch is pushed to: set console.review.api to that forge's API"
        )


def _refuse_plain_http(api: str) -> None:
    parts = urlsplit(api)
    if parts.scheme == "https":
        return
    if parts.scheme == "http":
        try:
            if ipaddress.ip_address(parts.hostname or "").is_loopback:
                return
        except ValueError:
            if parts.hostname == "localhost":
                return
    raise ForgeError(f"the forge's API {api} is not HTTPS; the console sends its token only over HTTPS")


def _refusal(forge: ForgeReview, response: httpx.Response, branch: str) -> str:
    said = ""
    try:
        answer = response.json()
        said = str(answer.get("message") or "") if isinstance(answer, dict) else ""
    except ValueError:
        pass
    said = printable(" ".join(said.split()))[:MAX_SHOWN]
    status = response.status_code
    quoted = f": {said}" if said else ""
    if status in (401, 403):
        return (
            f"the forge refused the console's token ({status}{quoted}); give {forge.token_env} a token that may "
            f"open pull requests on {forge.repository}"
        )
    if status == 404:
        return (
            f"the forge at {forge.api} knows no repository {forge.repository} with branch {branch} and its base "
            "(404); check console.review, and that console.remote is that repository"
        )
    if status == 409 or (status == 422 and "exist" in said.lower()):
        return f"the forge already has a pull request for this branch ({status}{quoted})"
    return f"the forge did not open the pull request ({status}{quoted})"
