"""Secrets in the platform repo: SOPS files encrypted to age recipients."""
