"""The fuzz targets: each is one file of the example repo that the fuzzer writes (harness.py)."""

from __future__ import annotations

TARGETS = {
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
