"""Pinned chart sources: pull them into the platform repo, verify them, render them with helm."""
