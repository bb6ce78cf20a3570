"""TypeScript and JavaScript front-end (tree-sitter)."""

from queuelint.frontends.typescript.extract import extract

__all__ = ["extract"]
