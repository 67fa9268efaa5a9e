"""A forge token that cannot be one (it goes into a header as it is) is said, and nothing is sent;
the requests themselves are tested against a real Gitea (test_forge.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import copy_example, run_cli


def test_a_forge_token_that_is_not_one_is_said_without_a_request() -> None:
    from dockyard.console.forge import ForgeError, open_review
    from dockyard.model.settings import ForgeReview

    forge = ForgeReview("github", "https://api.github.com", "acme/shop")
    for token in ("abc def", "abc\n", "tökén"):
        try:
            open_review(forge, branch="b", base="main", title="t", body="b", environ={"DOCKYARD_FORGE_TOKEN": token})
        except ForgeError as error:
            assert str(error) == (
                "the token in DOCKYARD_FORGE_TOKEN holds characters a token cannot have (spaces, line ends or others "
                "outside printable ASCII); set it to the token alone"
            )
        else:
            raise AssertionError(f"{token!r} was sent")


def test_the_token_goes_only_to_the_forge_the_branch_is_pushed_to() -> None:
    from dockyard.console.forge import ForgeError, same_forge

    same_forge("https://api.github.com", "git@github.com:acme/shop.git")
    same_forge("https://git.example.com/api/v1", "https://git.example.com/acme/shop.git")
    same_forge("http://127.0.0.1:3000/api/v1", "http://dock:secret@127.0.0.1:3000/dock/platform.git")
    for api, remote, pushed in (
        ("https://attacker.example/api/v1", "git@github.com:acme/shop.git", "github.com"),
        ("https://api.github.com", "/srv/git/shop.git", "a remote that is not on a forge"),
    ):
        try:
            same_forge(api, remote)
        except ForgeError as error:
            host = api.split("/")[2].split(":")[0]
            assert str(error) == (
                f"console.review.api is on {host}, but the branch is pushed to {pushed}; the console sends its token "
                "only to the forge the branch is pushed to: set console.review.api to that forge's API"
            )
        else:
            raise AssertionError(f"{api} for {remote}")


def test_a_layer_may_name_only_a_forge_variable_for_the_token(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = copy_example(tmp_path)
    with (repo / "platform.yaml").open("a") as platform:
        platform.write(
            "console:\n  changes: branch\n  remote: origin\n  review:\n    forge: github\n"
            "    api: https://api.github.com\n    repository: acme/shop\n    tokenEnv: SOPS_AGE_KEY\n"
        )
    result = run_cli(capsys, "validate", str(repo))
    assert result.code == 1
    assert (
        "`console.review.tokenEnv` must name an environment variable starting with DOCKYARD_FORGE_, such as "
        "DOCKYARD_FORGE_TOKEN (a layer may not send another of the console's variables to a forge)"
    ) in result.err, result.err
