"""The repos and clusters the golden files are rendered from."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import EXAMPLES

HERE = Path(__file__).parent
CASES = {
    "shop-local": (EXAMPLES / "shop", "local"),
    "shop-prod-eu": (EXAMPLES / "shop", "prod-eu"),
    "every-field-lab": (HERE / "repos" / "every-field", "lab"),
    "every-field-edge": (HERE / "repos" / "every-field", "edge"),
}
