"""The fuzz targets (harness.py): files of the example repo that the fuzzer writes before the repo is
validated, and readers that take the fuzzer's bytes directly."""

from __future__ import annotations

FILES = {
    "score": "services/orders/score.yaml",
    "settings": "services/orders/dockyard.yaml",
    "contract": "services/orders/openapi.yaml",
    "platform": "platform.yaml",
    "environment": "environments/dev.yaml",
    "cluster": "clusters/local.yaml",
    "provisioner": "provisioners/smtp.yaml",
    "lock": "charts.lock",
}
"""Target name -> the file of the example repo the fuzzer writes."""

READERS = ("archive", "webhook", "placeholders")
"""Targets that give the fuzzer's bytes to one reader: the chart archive unpacker (the bytes are
the tar inside the gzip), a signed push webhook's body, a text with placeholders."""

TARGETS = (*sorted(FILES), *READERS)
