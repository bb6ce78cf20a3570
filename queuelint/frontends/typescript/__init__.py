"""TypeScript and JavaScript front-end (tree-sitter)."""

from queuelint.frontends.typescript.extract import extract

SUFFIXES = (".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs")

__all__ = ["SUFFIXES", "extract"]
