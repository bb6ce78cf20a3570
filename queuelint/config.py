"""Settings from `queuelint.toml` or `[tool.queuelint]` in `pyproject.toml`, and the CLI.

A bad config is an error the user can act on in one line ("did you mean …"), raised as
`ConfigError`; the CLI turns it into exit status 2.
"""

from __future__ import annotations

import difflib
import functools
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from queuelint import probes
from queuelint.files import inside, read_bytes
from queuelint.rules import BY_CODE, BY_NAME, REGISTRY, closest_rule

if TYPE_CHECKING:
    import pathspec

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

CONFIG_FILE = "queuelint.toml"
KNOWN_KEYS = ("select", "ignore", "exclude", "extend-exclude", "per-file-ignores", "external", "producers",
              "consumers", "cache-dir", "fail-on", "severity")
FAIL_ON = ("error", "warning", "info", "never")  # the least severe finding that fails the run
SEVERITIES = ("error", "warning", "info")
PRODUCER_KEYS = ("call", "library", "name-arg", "name-key", "queue", "queue-arg")
CONSUMER_KEYS = ("decorator", "library", "name-arg", "name-key", "queue")
LIBRARIES = ("bull", "bullmq")
EXTERNAL_KEYS = ("consumed", "produced", "produced-jobs")


class ConfigError(Exception):
    """A configuration problem, already phrased for the user."""


@dataclass(frozen=True)
class ProducerSpec:
    """An in-house producer declared in the config: calls to `call` add a job whose name is
    argument `name_arg` (or its key `name_key`), on queue `queue` (or argument `queue_arg`)."""

    call: str
    library: str = "bullmq"
    name_arg: int = 0
    name_key: str = ""
    queue: str = ""
    queue_arg: int | None = None


@dataclass(frozen=True)
class ConsumerSpec:
    """An in-house consumer declared in the config: methods decorated with `@decorator(…)`
    handle the job named by its argument `name_arg` (or that argument's key `name_key`)."""

    decorator: str
    queue: str
    library: str = "bullmq"
    name_arg: int = 0
    name_key: str = ""


@dataclass(frozen=True)
class Settings:
    root: str = "."  # the directory paths in the config are relative to
    source: str | None = None  # the config file that was read, if any
    select: tuple[str, ...] = ("ALL",)
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # What another service does with queues of this codebase (silences QL103/QL105 for them).
    external_consumed: frozenset[str] = frozenset()  # queues consumed elsewhere
    external_produced: frozenset[str] = frozenset()  # queues produced elsewhere
    external_jobs: tuple[tuple[str, tuple[str, ...]], ...] = ()  # queue -> job names produced elsewhere
    cache_dir: str = ".queuelint_cache"  # relative to `root`
    producers: tuple[ProducerSpec, ...] = ()  # in-house producer functions (`addJob(name, …)`)
    consumers: tuple[ConsumerSpec, ...] = ()  # in-house handler decorators (`@ProcessJob({ name })`)
    fail_on: str = "warning"  # one of FAIL_ON
    severity: tuple[tuple[str, str], ...] = ()  # (rule selector, severity): the last that matches wins

    def severity_of(self, code: str, default: str) -> str:
        """A rule's severity, as `[severity]` overrides it."""
        chosen = default
        for selector, severity in self.severity:
            if _matches(code, selector):
                chosen = severity
        return chosen

    def fails(self, severity: str) -> bool:
        """Whether a finding of `severity` fails the run."""
        if self.fail_on == "never":
            return False
        return SEVERITIES.index(severity) <= SEVERITIES.index(self.fail_on)

    def produced_elsewhere(self, queue: str, job: str | None = None) -> bool:
        if queue in self.external_produced:
            return True
        return job is not None and any(q == queue and job in names for q, names in self.external_jobs)
    origin: dict[str, str] = field(default_factory=dict, compare=False, hash=False)  # key -> where it was set

    def is_enabled(self, code: str) -> bool:
        return _matches_any(code, self.select) and not _matches_any(code, self.ignore)

    def why(self, code: str) -> str:
        selected = [s for s in self.select if _matches(code, s)]
        ignored = [s for s in self.ignore if _matches(code, s)]
        if ignored:
            return f"off: ignored by {ignored[0]!r} ({self.origin.get('ignore', 'default')})"
        if selected:
            return f"on: selected by {selected[0]!r} ({self.origin.get('select', 'default')})"
        return f"off: not selected ({self.origin.get('select', 'default')})"

    def ignored_in(self, path: str, code: str) -> bool:
        return self.ignoring_pattern(path, code) is not None

    def ignoring_pattern(self, path: str, code: str) -> str | None:
        """The `per-file-ignores` pattern that turns `code` off in `path`, if one does."""
        if not self.per_file_ignores:
            return None
        relative = os.path.relpath(path, self.root).replace(os.sep, "/")
        for pattern, codes in self.per_file_ignores:
            if _matches_any(code, codes) and _spec(pattern).match_file(relative):
                return pattern
        return None


@functools.lru_cache(maxsize=4096)
def _spec(pattern: str) -> pathspec.GitIgnoreSpec:
    """A per-file-ignores pattern, compiled once: it is asked about every finding."""
    import pathspec  # only when per-file ignores are configured

    return pathspec.GitIgnoreSpec.from_lines([pattern])


def _matches(code: str, selector: str) -> bool:
    if selector == "ALL":
        return True
    rule = BY_NAME.get(selector.lower())
    if rule is not None:
        return rule.code == code
    return code.startswith(selector.upper())


def _matches_any(code: str, selectors: Iterable[str]) -> bool:
    return any(_matches(code, s) for s in selectors)


def validate_selectors(selectors: Sequence[str], where: str) -> tuple[str, ...]:
    for selector in selectors:
        if selector == "ALL" or selector.lower() in BY_NAME:
            continue
        if any(code.startswith(selector.upper()) for code in BY_CODE) and selector.upper().startswith("QL"):
            continue
        close = closest_rule(selector)
        suggestion = f" (did you mean {close!r}?)" if close else ""
        raise ConfigError(f"{where}: unknown rule selector {selector!r}{suggestion}")
    return tuple(selectors)


def find_config(start: str) -> tuple[str, dict[str, Any]] | None:
    """The nearest `queuelint.toml`, or `pyproject.toml` with `[tool.queuelint]`, upwards from `start`."""
    current = os.path.abspath(start)
    while True:
        candidate = os.path.join(current, CONFIG_FILE)
        if os.path.isfile(candidate):
            return candidate, _read_toml(candidate)
        pyproject = os.path.join(current, "pyproject.toml")
        if os.path.isfile(pyproject):
            data = _read_toml(pyproject)
            tool = data.get("tool", {})
            if isinstance(tool, dict) and "queuelint" in tool:
                return pyproject, tool["queuelint"]
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


def _read_toml(path: str) -> dict[str, Any]:
    try:
        data: dict[str, Any] = tomllib.loads(read_bytes(path).decode("utf-8"))
        return data
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from None
    except UnicodeDecodeError as error:
        raise ConfigError(f"{path}: not valid UTF-8 (byte 0x{error.object[error.start]:02x} at offset {error.start})") \
            from None
    except RecursionError:
        raise ConfigError(f"{path}: invalid TOML: nested too deeply") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror}") from None


def load(config_path: str | None = None, start: str = ".") -> Settings:
    """Settings from an explicit file, or the nearest config above `start`, or the defaults."""
    if config_path is not None:
        if not os.path.isfile(config_path):
            raise ConfigError(f"{config_path}: config file not found")
        data = _read_toml(config_path)
        if os.path.basename(config_path) == "pyproject.toml":
            data = data.get("tool", {}).get("queuelint", {})
        found: tuple[str, dict[str, Any]] | None = (config_path, data)
    else:
        found = find_config(start)
    if found is None:
        return Settings(root=os.path.abspath(start))
    path, table = found
    return from_table(table, path)


def for_paths(paths: Sequence[str], config_path: str | None = None) -> Settings:
    """The settings of the project the checked paths belong to. Its root is the directory of
    the nearest config above them (found from the paths, as ruff finds it, not from the
    working directory), else the enclosing git work tree, else the working directory (for
    paths outside it, the directory they share). Paths of two projects are an error: each
    is analysed whole, with its own settings."""
    checked = [os.path.abspath(p) for p in paths] or [os.path.abspath(".")]
    if config_path is not None:
        settings = load(config_path)
        outside = [p for p in checked if not inside(p, settings.root)]
        if outside:
            raise ConfigError(f"{outside[0]}: outside the project of {config_path} ({settings.root})")
        return settings
    starts = [p if os.path.isdir(p) else os.path.dirname(p) for p in checked]
    governing = {start: find_config(start) for start in dict.fromkeys(starts)}
    projects = {found[0] if found else probes.work_tree_root(start) for start, found in governing.items()}
    if len(projects) > 1:
        shown = sorted(project or "(no project)" for project in projects)
        raise ConfigError(f"the paths belong to different projects ({', '.join(shown[:3])}): check each on its own")
    found, root = next(iter(governing.values())), projects.pop()
    if found is not None:
        return from_table(found[1], found[0])
    if root is None:  # neither a config nor git: the working directory, or what the paths share
        cwd = os.path.abspath(".")
        root = cwd if all(inside(start, cwd) for start in starts) else os.path.commonpath(starts)
    return Settings(root=root)


def from_table(table: Any, path: str) -> Settings:
    where = path if not path.endswith("pyproject.toml") else f"{path} [tool.queuelint]"
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: expected a table of settings")
    _check_keys(table, KNOWN_KEYS, where)
    settings = Settings(root=os.path.dirname(os.path.abspath(path)), source=path)
    origin = {key: where for key in table}
    if "select" in table:
        settings = replace(settings, select=validate_selectors(_strings(table, "select", where), f"{where} select"))
    if "ignore" in table:
        settings = replace(settings, ignore=validate_selectors(_strings(table, "ignore", where), f"{where} ignore"))
    excludes = _patterns(table, "exclude", where) + _patterns(table, "extend-exclude", where)
    per_file: list[tuple[str, tuple[str, ...]]] = []
    raw = table.get("per-file-ignores", {})
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: 'per-file-ignores' must be a table of glob = [codes]")
    for pattern, codes in raw.items():
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            raise ConfigError(f"{where}: per-file-ignores {pattern!r} must be an array of rule codes")
        per_file.append((pattern, validate_selectors(codes, f"{where} per-file-ignores {pattern!r}")))
    cache_dir = table.get("cache-dir", ".queuelint_cache")
    if not isinstance(cache_dir, str) or not cache_dir:
        raise ConfigError(f"{where}: 'cache-dir' must be a directory name")
    # The cache lives inside the project: the analysed repository's config must not make
    # queuelint write (or delete) anywhere else, nor mark the project root itself as ignored.
    parts = cache_dir.replace("\\", "/").split("/")
    if os.path.isabs(cache_dir) or cache_dir.startswith("~") or any(part in ("", ".", "..") for part in parts):
        raise ConfigError(f"{where}: 'cache-dir' must be a directory inside the project, "
                          f"given relative to it without '.' or '..' (got {cache_dir!r})")
    fail_on = table.get("fail-on", "warning")
    if fail_on not in FAIL_ON:
        raise ConfigError(f"{where}: 'fail-on' must be one of {', '.join(map(repr, FAIL_ON))}, got {_shown(fail_on)}")
    severity = table.get("severity", {})
    if not isinstance(severity, dict):
        raise ConfigError(f"{where}: 'severity' must be a table of rule = \"error\" | \"warning\" | \"info\", "
                          f"got {_kind(severity)}")
    for selector, level in severity.items():
        validate_selectors([selector], f"{where} severity")
        if level not in SEVERITIES:
            raise ConfigError(f"{where}: severity {selector!r} must be one of {', '.join(map(repr, SEVERITIES))}, "
                              f"got {_shown(level)}")
    settings = replace(settings, fail_on=fail_on, severity=tuple(severity.items()))
    settings = replace(settings, exclude=excludes, per_file_ignores=tuple(per_file), origin=origin, cache_dir=cache_dir,
                       producers=tuple(_producer(item, f"{where} producers[{i}]")
                                       for i, item in enumerate(_tables(table, "producers", where))),
                       consumers=tuple(_consumer(item, f"{where} consumers[{i}]")
                                       for i, item in enumerate(_tables(table, "consumers", where))))
    return _external(settings, table.get("external", {}), where)


def _tables(table: dict[str, Any], key: str, where: str) -> list[dict[str, Any]]:
    items = table.get(key, [])
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ConfigError(f"{where}: '{key}' must be an array of tables ([[tool.queuelint.{key}]])")
    return items


def _check_keys(item: dict[str, Any], known: tuple[str, ...], where: str, prefix: str = "") -> None:
    for key in item:
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
            suggestion = f" (did you mean {close[0]!r}?)" if close else f" (known keys: {', '.join(known)})"
            raise ConfigError(f"{where}: unknown key {prefix + key!r}{suggestion}")


def _typed(item: dict[str, Any], key: str, kind: type, where: str, default: Any) -> Any:
    value = item.get(key, default)
    if value is not default and (not isinstance(value, kind) or isinstance(value, bool)):
        raise ConfigError(f"{where}: {key!r} must be {_KINDS.get(kind, kind.__name__)}, got {_kind(value)}")
    if kind is int and value is not None and value < 0:
        raise ConfigError(f"{where}: {key!r} must be 0 or more")
    return value


def _library(item: dict[str, Any], where: str) -> str:
    library = _typed(item, "library", str, where, "bullmq")
    if library not in LIBRARIES:
        raise ConfigError(f"{where}: 'library' must be one of {', '.join(LIBRARIES)}, got {library!r}")
    return str(library)


def _producer(item: dict[str, Any], where: str) -> ProducerSpec:
    """`{ call = "addJob", name-arg = 0, queue = "default" }` (or `queue-arg`)."""
    _check_keys(item, PRODUCER_KEYS, where)
    call = _typed(item, "call", str, where, None)
    if not call:
        raise ConfigError(f"{where}: 'call' (the function or method name) is required")
    queue = _typed(item, "queue", str, where, "")
    queue_arg = _typed(item, "queue-arg", int, where, None)
    if not queue and queue_arg is None:
        raise ConfigError(f"{where}: give the queue, as 'queue' (a name) or 'queue-arg' (an argument position)")
    return ProducerSpec(call, _library(item, where), _typed(item, "name-arg", int, where, 0),
                        _typed(item, "name-key", str, where, ""), queue, queue_arg)


def _consumer(item: dict[str, Any], where: str) -> ConsumerSpec:
    """`{ decorator = "ProcessJob", name-key = "name", queue = "default" }`."""
    _check_keys(item, CONSUMER_KEYS, where)
    decorator = _typed(item, "decorator", str, where, None)
    queue = _typed(item, "queue", str, where, None)
    if not decorator or not queue:
        raise ConfigError(f"{where}: 'decorator' and 'queue' are required")
    return ConsumerSpec(decorator, queue, _library(item, where), _typed(item, "name-arg", int, where, 0),
                        _typed(item, "name-key", str, where, ""))


def _external(settings: Settings, table: Any, where: str) -> Settings:
    """`[external]`: `consumed = [queues]`, `produced = [queues]`, `produced-jobs = { queue = [names] }`."""
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: 'external' must be a table")
    _check_keys(table, EXTERNAL_KEYS, where, prefix="external.")
    jobs = table.get("produced-jobs", {})
    if not isinstance(jobs, dict) or not all(
        isinstance(names, list) and all(isinstance(n, str) for n in names) for names in jobs.values()
    ):
        raise ConfigError(f"{where}: 'external.produced-jobs' must be a table of queue = [job names]")
    return replace(
        settings,
        external_consumed=frozenset(_strings(table, "consumed", f"{where} external")),
        external_produced=frozenset(_strings(table, "produced", f"{where} external")),
        external_jobs=tuple((queue, tuple(names)) for queue, names in jobs.items()),
    )


def invalid_pattern(pattern: str) -> str | None:
    """Why `pattern` is no valid gitignore pattern (pathspec cannot compile it), or None."""
    import re

    from pathspec import GitIgnoreSpec

    try:
        GitIgnoreSpec.from_lines([pattern])
    except (ValueError, re.error) as error:  # a trailing "\\", a lone "!"; a reversed range "[z-a]"
        return str(error)
    return None


def _patterns(table: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    """Exclude patterns, each checked now: git would let a broken one match nothing, but in
    the user's own config that is a mistake to report, not to hide."""
    patterns = _strings(table, key, where)
    for pattern in patterns:
        if invalid_pattern(pattern) is not None:
            raise ConfigError(f"{where}: {key!r} pattern {pattern!r} is not a valid gitignore pattern "
                              f"(such as a trailing '\\', a lone '!' or a reversed range '[z-a]')")
    return patterns


def _strings(table: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if isinstance(value, str):  # `select = "QL1"`: say how to write it rather than guess
        raise ConfigError(f"{where}: {key!r} must be an array of strings, such as {key} = [{_shown(value)}]; "
                          "got a string")
    if not isinstance(value, list):
        raise ConfigError(f"{where}: {key!r} must be an array of strings, got {_kind(value)}")
    for position, item in enumerate(value, 1):
        if not isinstance(item, str):
            raise ConfigError(f"{where}: {key!r} must be an array of strings; item {position} is {_kind(item)}")
    return tuple(value)


# TOML's names for the values a config can hold, with their article.
_KINDS: dict[type, str] = {str: "a string", int: "an integer", float: "a float", bool: "a boolean",
                           list: "an array", dict: "a table"}


def _kind(value: Any) -> str:
    """What a config value is, in TOML's words (`an integer`, `a table`)."""
    return next((name for kind, name in _KINDS.items() if type(value) is kind), "a date or time")


def _shown(value: Any) -> str:
    """A value as TOML writes it, for a message."""
    return f'"{value}"' if isinstance(value, str) else repr(value)


def with_cli(settings: Settings, select: Sequence[str], ignore: Sequence[str], fail_on: str | None = None) -> Settings:
    """CLI `--select` replaces the configured selection; `--ignore` adds to it; `--fail-on`
    replaces the configured one."""
    if fail_on is not None:
        settings = replace(settings, fail_on=fail_on, origin={**settings.origin, "fail-on": "command line"})
    if select:
        settings = replace(settings, select=validate_selectors(select, "--select"),
                           origin={**settings.origin, "select": "command line"})
    if ignore:
        settings = replace(settings, ignore=settings.ignore + validate_selectors(ignore, "--ignore"),
                           origin={**settings.origin, "ignore": "command line"})
    return settings


def describe(settings: Settings, path: str | None = None) -> list[str]:
    """The settings, and why each rule is on or off (in `path`, when given)."""
    lines = [
        f"config file: {settings.source or '(none: defaults)'}",
        f"root: {settings.root}",
        *([f"path: {path}"] if path else []),
        f"select: {list(settings.select)}",
        f"ignore: {list(settings.ignore)}",
        f"exclude: {list(settings.exclude)}",
        f"per-file-ignores: {dict((p, list(c)) for p, c in settings.per_file_ignores)}",
        f"producers: {[s.call for s in settings.producers]}",
        f"consumers: {['@' + s.decorator for s in settings.consumers]}",
        f"external: consumed={sorted(settings.external_consumed)} produced={sorted(settings.external_produced)} "
        f"produced-jobs={dict(settings.external_jobs)}",
        "rules:",
    ]
    for r in REGISTRY:
        why = settings.why(r.code)
        pattern = settings.ignoring_pattern(os.path.abspath(path), r.code) if path else None
        if pattern is not None and why.startswith("on"):
            why = f"off here: per-file-ignores {pattern!r} ({settings.origin.get('per-file-ignores', 'default')})"
        lines.append(f"  {r.code} {r.name}: {why}")
    return lines
