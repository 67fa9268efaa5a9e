"""Which answers of the API server Dockyard's client tries again, and after how long."""

from __future__ import annotations

import httpx2
import pytest

from dockyard.deploy.client import retry_after


@pytest.mark.parametrize(
    ("status", "header", "wait"),
    [
        (429, "2", 2.0),
        (503, "1", 1.0),
        (500, "0", 0.0),
        (504, "120", 5.0),  # waited at most 5 s, whatever it asks
        (503, None, None),  # no Retry-After: not tried again
        (503, "Wed, 21 Oct 2015 07:28:00 GMT", None),  # only seconds are understood
        (503, "-1", None),
        (503, "²", None),  # a digit to str.isdigit, not a number
        (409, "1", None),  # a conflict is an answer, not a request to wait
        (200, "1", None),
    ],
)
def test_only_a_429_or_5xx_asking_to_retry_is_tried_again(status: int, header: str | None, wait: float | None) -> None:
    # as they come off the wire: bytes, read as Latin-1 where they are not ASCII
    headers = [(b"Retry-After", header.encode("latin-1"))] if header is not None else []
    assert retry_after(httpx2.Response(status, headers=headers)) == wait
    assert retry_after(None) is None
