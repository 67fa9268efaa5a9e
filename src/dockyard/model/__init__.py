"""Typed, frozen models of the platform, one cluster's view of it, and its services (no I/O)."""
