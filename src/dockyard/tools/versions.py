"""The one place where the local control plane's tool versions are pinned.

Kubernetes' own binaries are built from Go modules; each tool gets its own small
wrapper module so the versions of one never drift into another.
"""

from __future__ import annotations

KUBERNETES = "1.36.3"
"""kube-apiserver, kube-controller-manager and kube-scheduler."""

ETCD = "3.6.8"
"""The etcd release that Kubernetes 1.36.3 itself depends on."""

KWOK = "0.7.0"
"""Marks fake nodes Ready and their pods Running."""

HELM = "3.19.0"
"""The reference chart renderer."""

GO_MINIMUM = (1, 26)
"""Kubernetes 1.36 declares `go 1.26.0` in its go.mod."""
