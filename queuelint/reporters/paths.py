"""Paths as users see them: relative to the working directory, with forward slashes."""

from __future__ import annotations

import os


def display_path(path: str) -> str:
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return path.replace(os.sep, "/")
    return relative.replace(os.sep, "/")
