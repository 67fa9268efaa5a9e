"""Check: every rendered object against Kubernetes and CRD schemas (and, next, Rego policies)."""
