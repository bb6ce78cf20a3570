"""Which files to read: walk the given paths, honour `.gitignore` and `exclude`, skip
dependencies, build output and vendored code; then a byte prefilter keeps the files that
can hold queue code at all."""

from __future__ import annotations

import os
import re
import stat
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from queuelint import probes
from queuelint.config import Settings
from queuelint.frontends import PYTHON_SUFFIXES, TYPESCRIPT_SUFFIXES, language_of

if TYPE_CHECKING:
    import pathspec

SKIPPED_DIRECTORIES = frozenset(
    {"node_modules", ".git", ".hg", ".svn", "dist", "build", "coverage", ".next", ".nuxt", ".turbo", ".cache",
     "vendor", "third_party", "bower_components", ".venv", "venv", "__pycache__", ".tox", ".queuelint_cache",
     ".yarn", ".pnpm-store"}
)
SKIPPED_SUFFIXES = (".min.js", ".min.mjs", ".min.cjs", ".d.ts", ".d.mts", ".d.cts", ".bundle.js", ".chunk.js")
# Every Bull/BullMQ/NestJS queue file names a module starting with "bull" in quotes or after
# a slash ('bull', "bullmq", '@nestjs/bull'); NestJS modules, which register processors as
# providers, may not, but they all say "@Module(". Words like `bulletSize` match neither.
QUEUE_MARKERS = (b"'bull", b'"bull', b"`bull", b"/bull", b"@Module(")
# Python: the libraries' module names, and the Celery settings that name tasks (not every
# `CELERY_…` word: tests that pass `settings.ORDERS_CELERY_QUEUE` around hold no queue code).
PYTHON_MARKERS = (b"celery", b"CELERY_BEAT_SCHEDULE", b"CELERYBEAT_SCHEDULE", b"CELERY_ROUTES", b"CELERY_TASK_ROUTES",
                  b"beat_schedule", b"task_routes", b"send_task", b"shared_task", b".delay(",
                  b".apply_async(", b".si(", b"dramatiq", b"send_with_options", b"from arq", b"import arq",
                  b"enqueue", b"WorkerSettings", b"from rq", b"import rq", b"django_rq", b"bullmq", b".chunks(",
                  b".starmap(", b"_on_commit(")


def _grouped(markers: tuple[bytes, ...], words: tuple[bytes, ...]) -> tuple[tuple[bytes, tuple[bytes, ...]], ...]:
    """Markers under the first of `words` they hold, to be looked for only in files holding that
    word (most files hold none, and each marker is a pass over the whole file); a marker holding
    none is its own word, with nothing more to look for."""
    groups: dict[bytes, list[bytes]] = {}
    for marker in markers:
        word = next((w for w in words if w in marker), marker)
        groups.setdefault(word, []).append(marker)
    return tuple((word, () if word in found else tuple(found)) for word, found in groups.items())


PYTHON_MARKER_GROUPS = _grouped(PYTHON_MARKERS, (b"CELERY", b"task", b"arq", b"rq"))
# `@app.task` decorators: a task module may import its app from the project and never name Celery.
TASK_DECORATOR = re.compile(rb"@[\w.]+\.task\b")


class PathError(Exception):
    """A path given on the command line that cannot be used."""


@dataclass(frozen=True)
class Discovered:
    files: list[str]  # absolute paths, sorted
    skipped: list[tuple[str, str]]  # (path, why) for what the user asked for but we could not read
    # True when the list came from our own walk, whose directories and .gitignore files were
    # recorded as probes: while they are unchanged, so is the list (no git to ask).
    walked: bool = False
    # (mtime_ns, size) of files already stat-ed while listing them, so a warm run need not again.
    stats: dict[str, tuple[int, int]] = field(default_factory=dict)


def discover(paths: Sequence[str], settings: Settings) -> Discovered:
    files: set[str] = set()
    skipped: list[tuple[str, str]] = []
    walked = True
    stats: dict[str, tuple[int, int]] = {}
    excludes = None
    if settings.exclude:
        from pathspec import GitIgnoreSpec  # 20 ms to import: only when there is something to exclude

        excludes = GitIgnoreSpec.from_lines(settings.exclude)
    for given in paths:
        path = os.path.abspath(given)
        if not os.path.lexists(path):
            raise PathError(f"{given}: no such file or directory")
        if os.path.isfile(path):
            if language_of(path) is not None:
                files.add(path)  # named explicitly: always checked
            continue
        if not os.path.isdir(path):
            raise PathError(f"{given}: not a file or directory")
        listed = _git_files(path)
        if listed is None:
            files.update(_walk(path, settings.root, excludes, skipped))
        else:
            walked = False
            stats.update(_wanted(listed, path, settings.root, excludes))
            files.update(stats)
    return Discovered(sorted(files), skipped, walked, stats)


def _walk(top: str, root: str, excludes: pathspec.GitIgnoreSpec | None,
          skipped: list[tuple[str, str]]) -> Iterator[str]:
    # Stack of (directory, gitignore specs in force there as (base dir, spec)).
    stack: list[tuple[str, tuple[tuple[str, pathspec.GitIgnoreSpec], ...]]] = [(top, _inherited_ignores(top))]
    while stack:
        directory, ignores = stack.pop()
        own = _gitignore(directory)
        if own is not None:
            ignores = (*ignores, (directory, own))
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as error:
            probes.walked(directory)
            skipped.append((directory, error.strerror or "cannot read"))
            continue
        probes.walked(directory)
        for entry in entries:
            if entry.is_symlink():
                continue  # links can loop or leave the project; the target is walked where it lives
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                continue
            if is_dir and entry.name in SKIPPED_DIRECTORIES:
                continue
            if not is_dir and (language_of(entry.name) is None or entry.name.endswith(SKIPPED_SUFFIXES)):
                continue  # cheap checks first: most files are not ours anyway
            if _ignored(entry.path, is_dir, ignores) or _excluded(entry.path, is_dir, root, excludes):
                continue
            if is_dir:
                stack.append((entry.path, ignores))
            else:
                yield entry.path


# The analysed repository is untrusted: its git config must not make git run anything (an
# fsmonitor hook runs on every index read) or write (the untracked cache, optional locks).
GIT = ("git", "-c", "core.fsmonitor=false", "-c", "core.untrackedCache=false", "-c", "core.hooksPath=/dev/null",
       "-c", "core.sshCommand=false", "-c", "core.pager=cat", "-c", "credential.helper=")
GIT_ENVIRONMENT = {"GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0", "GIT_CONFIG_NOSYSTEM": "1"}


def _git(top: str, *arguments: str, timeout: int) -> subprocess.CompletedProcess[bytes]:
    environment = {**os.environ, **GIT_ENVIRONMENT}
    return subprocess.run([*GIT, "-C", top, *arguments], capture_output=True, timeout=timeout, check=False,
                          env=environment, stdin=subprocess.DEVNULL)


def _git_files(top: str) -> list[str] | None:
    """The files git would consider under `top` (tracked, and untracked but not ignored), as
    paths relative to `top` with "/" separators: git
    applies every .gitignore rule exactly and fast. None outside a work tree or without git."""
    if not _inside_work_tree(top):
        return None
    try:
        if not os.path.exists(os.path.join(top, ".git")):  # a work tree's root cannot be ignored
            ignored = _git(top, "check-ignore", "-q", ".", timeout=30)
            if ignored.returncode == 0:
                return None  # named explicitly though git ignores it: walk it ourselves
        done = _git(top, "ls-files", "--cached", "--others", "--exclude-standard", "-z", timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    return sorted({name for name in done.stdout.decode("utf-8", "surrogateescape").split("\0") if name})


def _inside_work_tree(top: str) -> bool:
    return probes.work_tree_root(top) is not None


def _wanted(names: list[str], top: str, root: str,
            excludes: pathspec.GitIgnoreSpec | None) -> dict[str, tuple[int, int]]:
    """Of the files git listed (relative to `top`), ours: source we read, outside skipped
    directories, not a link, not excluded by the config, and still there; with their
    (mtime_ns, size). One loop, no call per file: a warm run's time is mostly this."""
    found: dict[str, tuple[int, int]] = {}
    prefix = top.rstrip(os.sep) + os.sep
    suffixes = TYPESCRIPT_SUFFIXES + PYTHON_SUFFIXES
    skipped_directory: dict[str, bool] = {}  # git lists a directory's files together: decide once
    lstat, is_regular = os.lstat, stat.S_ISREG
    for name in names:
        if not name.endswith(suffixes) or name.endswith(SKIPPED_SUFFIXES):
            continue
        directory = name.rpartition("/")[0]
        skipped = skipped_directory.get(directory)
        if skipped is None:
            skipped = skipped_directory[directory] = not SKIPPED_DIRECTORIES.isdisjoint(directory.split("/"))
        if skipped:
            continue
        # git's names are normalised and "/"-separated: no os.path.join/normpath per file.
        path = prefix + (name if os.sep == "/" else name.replace("/", os.sep))
        try:
            status = lstat(path)  # one call: tracked but deleted, a link, or a regular file
        except OSError:
            continue
        if is_regular(status.st_mode) and (excludes is None or not _excluded(path, False, root, excludes)):
            found[path] = (status.st_mtime_ns, status.st_size)
    return found


def _gitignore(directory: str) -> pathspec.GitIgnoreSpec | None:
    path = os.path.join(directory, ".gitignore")
    probes.opened(path)  # also when absent: creating it changes what is ignored
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return _tolerant_spec(list(handle))  # lines as before: split on line ends only
    except OSError:
        return None


def _tolerant_spec(lines: list[str]) -> pathspec.GitIgnoreSpec:
    """The spec of a .gitignore as git reads it: a line git accepts but pathspec cannot compile
    (`bin\\`, a lone `!`, `[z-a]`) matches nothing; the other lines keep their order."""
    from pathspec import GitIgnoreSpec

    from queuelint.config import invalid_pattern

    try:
        return GitIgnoreSpec.from_lines(lines)
    except (ValueError, re.error):  # rare: only then is each line compiled on its own
        return GitIgnoreSpec.from_lines([line for line in lines if invalid_pattern(line) is None])


def _inherited_ignores(top: str) -> tuple[tuple[str, pathspec.GitIgnoreSpec], ...]:
    """`.gitignore` files above `top`, up to the repository root, apply inside it too."""
    found: list[tuple[str, pathspec.GitIgnoreSpec]] = []
    current = os.path.dirname(top)
    while True:
        spec = _gitignore(current)
        if spec is not None:
            found.append((current, spec))
        if probes.exists(os.path.join(current, ".git")):
            break
        parent = os.path.dirname(current)
        if parent == current:
            return ()  # not inside a repository: only the tree's own ignores count
        current = parent
    # A directory named explicitly is checked even if an outer .gitignore lists it.
    return tuple((base, spec) for base, spec in reversed(found) if not _ignored(top, True, ((base, spec),)))


def _ignored(path: str, is_dir: bool, ignores: tuple[tuple[str, pathspec.GitIgnoreSpec], ...]) -> bool:
    for base, spec in ignores:
        relative = os.path.relpath(path, base).replace(os.sep, "/") + ("/" if is_dir else "")
        if spec.match_file(relative):
            return True
    return False


def _excluded(path: str, is_dir: bool, root: str, excludes: pathspec.GitIgnoreSpec | None) -> bool:
    if excludes is None:
        return False
    relative = os.path.relpath(path, root).replace(os.sep, "/") + ("/" if is_dir else "")
    return excludes.match_file(relative)


def may_hold_queue_code(data: bytes, extra_markers: tuple[bytes, ...] = (), language: str | None = None) -> bool:
    """The prefilter: a cheap byte search that skips files that cannot hold queue code."""
    if language == "python":
        found = any(word in data and (not markers or any(marker in data for marker in markers))
                    for word, markers in PYTHON_MARKER_GROUPS) \
            or (b".task" in data and TASK_DECORATOR.search(data) is not None)
    else:
        found = any(marker in data for marker in QUEUE_MARKERS)
    return found or any(marker in data for marker in extra_markers)


MINIFIED_BYTES = 20_000  # smaller files are parsed whatever their shape: it is cheap
# A string literal within one line (the unrolled form: a run of plain bytes is one step, so a
# megabyte of inline base64 is matched quickly).
_STRING_LITERAL = re.compile(rb'"[^"\\\n]*(?:\\.[^"\\\n]*)*"'
                             rb"|'[^'\\\n]*(?:\\.[^'\\\n]*)*'"
                             rb"|`[^`\\\n]*(?:\\.[^`\\\n]*)*`")
_QUOTE = re.compile(rb"[\"'`]")


def looks_minified(data: bytes) -> bool:
    return minified_reason(data) is not None


def minified_reason(data: bytes) -> str | None:
    """Why the file looks like a bundle or minified code, or None: more than MINIFIED_BYTES
    of code (string literals not counted) with almost no line breaks. An inline logo or SVG
    makes a long line, not minified code: such a file is parsed. Byte-level, no parse, and it
    stops as soon as it has seen enough code: a 20 MB bundle costs milliseconds."""
    if len(data) <= MINIFIED_BYTES:
        return None
    breaks = data.count(b"\n")
    if breaks >= len(data) // 1_000:
        return None
    # Minified once the code outside literals passes this (the same test, on code bytes only).
    enough = max(MINIFIED_BYTES, 1_000 * (breaks + 1))
    code = 0
    for line in data.split(b"\n"):
        position = 0
        while code <= enough:
            # The next quote, looked for only as far as the code left to see: no scan to the
            # end of a 20 MB line.
            quote = _QUOTE.search(line, position, position + enough - code + 1)
            if quote is None:
                code += min(len(line), position + enough - code + 1) - position
                break
            code += quote.start() - position
            literal = _STRING_LITERAL.match(line, quote.start())
            position = literal.end() if literal is not None else quote.start() + 1  # unclosed: code
        if code > enough:
            return f"looks minified ({len(data) // 1_000} KB on {breaks + 1} line{'s' if breaks else ''})"
    return None
