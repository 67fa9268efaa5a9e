"""Render: a typed Platform becomes a Bundle of Kubernetes objects, each with its stage and source."""
