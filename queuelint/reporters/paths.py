"""Paths as users see them: relative to the working directory, with forward slashes."""

from __future__ import annotations

import os
from functools import lru_cache


def display_path(path: str) -> str:
    return _display(path, os.getcwd())


@lru_cache(maxsize=8192)
def _display(path: str, cwd: str) -> str:
    # Memoised: a report names the same few files many times, and relpath is not cheap.
    try:
        relative = os.path.relpath(path, cwd)
    except ValueError:  # another drive on Windows
        return path.replace(os.sep, "/")
    return relative.replace(os.sep, "/")
