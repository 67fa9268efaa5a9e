"""A forge token that cannot be one (it goes into a header as it is) is said, and nothing is sent;
the requests themselves are tested against a real Gitea (test_forge.py)."""

from __future__ import annotations


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
