"""Where an import points: relative paths, tsconfig/jsconfig `baseUrl` and `paths` (following
`extends`), and the workspace packages of a monorepo, resolved to their source files.

Only files of the project are ever returned; a package from `node_modules` is outside the
analysis and stays unresolved.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from queuelint import probes

SCRIPT_SUFFIXES = (".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs")
TS_FOR_JS = {".js": (".ts", ".tsx"), ".jsx": (".tsx",), ".mjs": (".mts",), ".cjs": (".cts",)}
CONFIG_NAMES = ("tsconfig.json", "jsconfig.json")
SKIPPED_DIRECTORIES = frozenset({"node_modules", ".git", "dist", "build", "coverage", ".next", ".turbo", ".cache"})
BUILD_DIRECTORIES = ("dist/", "build/", "lib/", "out/")


@dataclass(frozen=True)
class PathConfig:
    """The module-resolution part of a tsconfig: where bare names and `paths` patterns lead."""

    base_url: str | None
    paths_base: str
    paths: tuple[tuple[str, tuple[str, ...]], ...]


def source_file(base: str) -> str | None:
    """The file an extension-less (or `.js`-for-`.ts`) module path names, or its `index`."""
    base = os.path.normpath(base)  # one spelling per file: facts are keyed by path
    stem, suffix = os.path.splitext(base)
    candidates = [base, *(base + s for s in SCRIPT_SUFFIXES)]
    candidates += [stem + s for s in TS_FOR_JS.get(suffix, ())]
    candidates += [os.path.join(base, "index" + s) for s in SCRIPT_SUFFIXES]
    for candidate in candidates:
        if probes.is_file(candidate) and not candidate.endswith((".d.ts", ".d.mts", ".d.cts")):
            return candidate
    return None


def python_module(module: str, importer: str) -> str | None:
    """The file of a Python module: relative to the importer's package (`.names`), or found
    from the importer's directory upwards (`app.jobs.names`), as `sys.path` roots would."""
    if module.startswith("."):
        rest = module.lstrip(".")
        base = os.path.dirname(importer)
        for _ in range(len(module) - len(rest) - 1):
            base = os.path.dirname(base)
        return _python_file(os.path.join(base, *rest.split("."))) if rest else _python_file(base)
    parts = module.split(".")
    current = os.path.dirname(os.path.abspath(importer))
    while True:
        for root in (current, os.path.join(current, "src")):
            found = _python_file(os.path.join(root, *parts))
            if found is not None:
                return found
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


def _python_file(base: str) -> str | None:
    for candidate in (base + ".py", os.path.join(base, "__init__.py")):
        if probes.is_file(candidate):
            return os.path.normpath(candidate)
    return None


NAMESPACE_DEPTH = 3  # directories without `__init__.py` crossed to reach an enclosing package


class ModuleLocator:
    def __init__(self, roots: Sequence[str] = ()) -> None:
        self._roots = [os.path.abspath(r) for r in roots]
        self._packages: dict[str, str] | None = None
        self._config_for_dir: dict[str, PathConfig | None] = {}
        self._read_configs: dict[str, PathConfig | None] = {}  # per locator: a later run sees edits
        self._package_roots: dict[str, str] = {}
        self._located: dict[tuple[str, str, bool], str | None] = {}
        self._packages_by_dir: dict[str, bool] = {}  # directory -> holds an `__init__.py`

    def python_module_name(self, path: str) -> str:
        """The dotted module a Python file is imported as: its path below the first directory
        (walking up) that is not a package (no `__init__.py`). Directories without one inside a
        package are namespace packages (`app/importers/github/tasks.py` with
        `app/importers/__init__.py` is `app.importers.github.tasks`)."""
        directory, filename = os.path.split(path)
        parts = [] if filename == "__init__.py" else [os.path.splitext(filename)[0]]
        while self._is_package(directory) or self._inside_package(directory):
            directory, package = os.path.split(directory)
            parts.insert(0, package)
            if not package:
                break
        return ".".join(parts)

    def _is_package(self, directory: str) -> bool:
        found = self._packages_by_dir.get(directory)
        if found is None:
            found = self._packages_by_dir[directory] = probes.is_file(os.path.join(directory, "__init__.py"))
        return found

    def _inside_package(self, directory: str) -> bool:
        """A directory without `__init__.py` a few levels below one with it (not past a
        repository's root)."""
        for _ in range(NAMESPACE_DEPTH):
            if probes.exists(os.path.join(directory, ".git")):
                return False
            parent = os.path.dirname(directory)
            if parent == directory:
                return False
            directory = parent
            if self._is_package(directory):
                return True
        return False

    def package_root(self, directory: str) -> str:
        """The nearest directory above `directory` with a package manifest ("" if none)."""
        found = self._package_roots.get(directory)
        if found is None:
            if any(probes.is_file(os.path.join(directory, m)) for m in ("package.json", "pyproject.toml", "setup.py")):
                found = directory
            else:
                parent = os.path.dirname(directory)
                found = "" if parent == directory else self.package_root(parent)
            self._package_roots[directory] = found
        return found

    def locate(self, specifier: str, importer: str) -> str | None:
        key = (specifier, os.path.dirname(importer), importer.endswith(".py"))
        if key not in self._located:
            self._located[key] = self._locate(specifier, importer)
        return self._located[key]

    def _locate(self, specifier: str, importer: str) -> str | None:
        if importer.endswith(".py"):
            return python_module(specifier, importer)
        directory = os.path.dirname(importer)
        if specifier.startswith("."):
            return source_file(os.path.normpath(os.path.join(directory, specifier)))
        if specifier.startswith(("node:", "http:", "https:")):
            return None
        config = self._config(directory)
        if config is not None:
            found = self._through_config(specifier, config)
            if found is not None:
                return found
        return self._through_workspace(specifier)

    # --- tsconfig ---------------------------------------------------------------

    def _config(self, directory: str) -> PathConfig | None:
        """The path settings of the nearest tsconfig.json / jsconfig.json above `directory`."""
        if directory in self._config_for_dir:
            return self._config_for_dir[directory]
        found: PathConfig | None = None
        for name in CONFIG_NAMES:
            candidate = os.path.join(directory, name)
            if probes.is_file(candidate):
                found = _read_config(candidate, self._read_configs)
                break
        else:
            parent = os.path.dirname(directory)
            if parent != directory:
                found = self._config(parent)
        self._config_for_dir[directory] = found
        return found

    @staticmethod
    def _through_config(specifier: str, config: PathConfig) -> str | None:
        for pattern, targets in _by_specificity(config.paths):
            matched = _match(pattern, specifier)
            if matched is None:
                continue
            for target in targets:
                found = source_file(os.path.join(config.paths_base, target.replace("*", matched)))
                if found is not None:
                    return found
        if config.base_url is not None:
            return source_file(os.path.join(config.base_url, specifier))
        return None

    # --- workspaces -------------------------------------------------------------

    def _through_workspace(self, specifier: str) -> str | None:
        packages = self._workspace_packages()
        parts = specifier.split("/")
        name_length = 2 if specifier.startswith("@") else 1
        name, subpath = "/".join(parts[:name_length]), "/".join(parts[name_length:])
        directory = packages.get(name)
        if directory is None:
            return None
        if subpath:
            return source_file(os.path.join(directory, subpath)) or source_file(os.path.join(directory, "src", subpath))
        return _package_entry(directory)

    def _workspace_packages(self) -> dict[str, str]:
        """Package name -> directory, for every package.json in the project (not node_modules)."""
        if self._packages is None:
            self._packages = {}
            for root in self._search_roots():
                for manifest in _manifests(root):
                    name = _read_json(manifest).get("name")
                    if isinstance(name, str) and name not in self._packages:
                        self._packages[name] = os.path.dirname(manifest)
        return self._packages

    def _search_roots(self) -> list[str]:
        """The analysed directories and the repository they belong to (where siblings live)."""
        roots: list[str] = []
        for root in self._roots:
            top = root
            current = root
            while True:
                if probes.exists(os.path.join(current, ".git")):
                    top = current
                    break
                parent = os.path.dirname(current)
                if parent == current:
                    break
                current = parent
            roots.extend(r for r in (top, root) if r not in roots)
        return roots[:1] if len(roots) > 1 and all(r.startswith(roots[0]) for r in roots) else roots


def _by_specificity(paths: Iterable[tuple[str, tuple[str, ...]]]) -> list[tuple[str, tuple[str, ...]]]:
    """TypeScript picks the pattern with the longest prefix before `*`."""
    return sorted(paths, key=lambda item: len(item[0].split("*", 1)[0]), reverse=True)


def _match(pattern: str, specifier: str) -> str | None:
    if "*" not in pattern:
        return "" if pattern == specifier else None
    prefix, _, suffix = pattern.partition("*")
    if specifier.startswith(prefix) and specifier.endswith(suffix) and len(specifier) >= len(prefix) + len(suffix):
        return specifier[len(prefix) : len(specifier) - len(suffix)]
    return None


def _read_config(path: str, memo: dict[str, PathConfig | None], depth: int = 0) -> PathConfig | None:
    """`compilerOptions.baseUrl` and `paths`, with `extends` (relative files) applied first."""
    if path not in memo:
        memo[path] = _parse_config(path, memo, depth)
    return memo[path]


def _parse_config(path: str, memo: dict[str, PathConfig | None], depth: int) -> PathConfig | None:
    data = _read_jsonc(path)
    directory = os.path.dirname(path)
    inherited: PathConfig | None = None
    extends = data.get("extends")
    for parent in (extends if isinstance(extends, list) else [extends]):
        if isinstance(parent, str) and parent.startswith(".") and depth < 8:
            target = os.path.normpath(os.path.join(directory, parent))
            if not target.endswith(".json"):
                target += ".json"
            if probes.is_file(target):
                inherited = _read_config(target, memo, depth + 1) or inherited
    options = data.get("compilerOptions")
    options = options if isinstance(options, dict) else {}
    base_url = inherited.base_url if inherited else None
    if isinstance(options.get("baseUrl"), str):
        base_url = os.path.normpath(os.path.join(directory, options["baseUrl"]))
    paths = inherited.paths if inherited else ()
    paths_base = inherited.paths_base if inherited else directory
    if isinstance(options.get("paths"), dict):
        paths = tuple(
            (pattern, tuple(t for t in targets if isinstance(t, str)))
            for pattern, targets in options["paths"].items()
            if isinstance(targets, list)
        )
        paths_base = base_url or directory
    if base_url is None and not paths:
        return None
    return PathConfig(base_url, paths_base, paths)


def _read_jsonc(path: str) -> dict[str, Any]:
    """A tsconfig.json: JSON with comments and trailing commas allowed. Most are plain JSON,
    which the stdlib reads in microseconds; json5 (pure Python, milliseconds a file) reads
    the others."""
    probes.opened(path)
    try:
        with open(path, encoding="utf-8-sig") as handle:
            text = handle.read()
        try:
            data = json.loads(text)
        except ValueError:
            import json5  # only when the file needs it

            data = json5.loads(text)
    except (OSError, ValueError, RecursionError):
        return {}
    return data if isinstance(data, dict) else {}


def _read_json(path: str) -> dict[str, Any]:
    probes.opened(path)
    try:
        with open(path, encoding="utf-8-sig") as handle:
            data = json.load(handle)
    except (OSError, ValueError, RecursionError):
        return {}
    return data if isinstance(data, dict) else {}


def _manifests(root: str) -> Iterable[str]:
    for directory, subdirectories, files in os.walk(root):
        probes.walked(directory)
        subdirectories[:] = [d for d in subdirectories if d not in SKIPPED_DIRECTORIES and not d.startswith(".")]
        if "package.json" in files:
            yield os.path.join(directory, "package.json")


def _package_entry(directory: str) -> str | None:
    """A workspace package's source entry, mapping built output (`dist/index.js`) back to `src/`."""
    manifest = _read_json(os.path.join(directory, "package.json"))
    candidates: list[str] = []
    for key in ("source", "types", "typings", "module", "main"):
        value = manifest.get(key)
        if isinstance(value, str):
            candidates.append(value)
    exports = manifest.get("exports")
    entry = exports.get(".") if isinstance(exports, dict) else exports
    if isinstance(entry, dict):
        entry = entry.get("types") or entry.get("import") or entry.get("default") or entry.get("require")
    if isinstance(entry, str):
        candidates.insert(0, entry)
    for candidate in candidates:
        relative = os.path.normpath(candidate).replace(os.sep, "/")
        for build in BUILD_DIRECTORIES:
            if relative.startswith(build):
                relative = "src/" + relative[len(build) :]
                break
        stem = relative
        for suffix in (".d.ts", ".d.mts", ".js", ".mjs", ".cjs", ".ts"):
            if stem.endswith(suffix):
                stem = stem[: -len(suffix)]
                break
        found = source_file(os.path.join(directory, stem))
        if found is not None:
            return found
    return source_file(os.path.join(directory, "src", "index")) or source_file(os.path.join(directory, "index"))
