"""The embedded default cluster: Kubernetes' own binaries on loopback, with KWOK nodes."""
