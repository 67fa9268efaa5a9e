"""The edit page posted back as it is shown, with one value changed, changes that value and nothing
else in the service's files: every part of the form shows what the files say in a shape it writes
back unchanged."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.helpers import git
from tests.unit.console.conftest import posted_page

ODDITIES = {
    "orders": [
        (
            "    metrics:\n      port: 9090\n",
            "    metrics:\n      port: 9090\n    grpc:\n      port: 9000\n      targetPort: 9000  # as written\n",
        )
    ],
    "payments": [
        (
            "      targetPort: 8080\n",
            "      targetPort: 8080\n    admin:  # by hand\n      port: 81\n      targetPort: 8081\n",
        )
    ],
    "web": [("      path: /\n", "")],  # a route at / without a path
    "worker": [],
}


@pytest.mark.parametrize("service", sorted(ODDITIES))
def test_the_page_posted_back_with_a_new_image_changes_only_the_image(
    signed_in: Callable[..., TestClient], repo: Path, service: str
) -> None:
    score = repo / "services" / service / "score.yaml"
    text = score.read_text()
    for old, new in ODDITIES[service]:
        assert old in text, (service, old)
        text = text.replace(old, new, 1)
    score.write_text(text)
    git(repo, "commit", "-qam", "oddities by hand", "--allow-empty")
    client = signed_in("editor")
    fields = posted_page(client.get(f"/services/{service}/edit").text)
    old_image = str(fields["image"])
    fields["image"] = old_image.rsplit(":", 1)[0] + ":9.9.9"
    answer = client.post(f"/services/{service}", data=fields, follow_redirects=False)
    assert answer.status_code == 303, answer.text[-2000:]
    changed = git(repo, "show", "--format=", "--unified=0", "HEAD")
    lines = [line for line in changed.splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert lines == [f"-    image: {old_image}", f"+    image: {old_image.rsplit(':', 1)[0]}:9.9.9"], changed
