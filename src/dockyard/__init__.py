"""Dockyard: a platform core that turns one git repo into a running microservice platform."""

__version__ = "0.2.0"
