"""The demand-driven search: which files not parsed on the first pass must be read because
they may use what a parsed file exports (a queue object, a factory, a wrapper), found by a
byte search for the names, remembered per file by the cache (or the language server's
workspace) so that unchanged files are not read again."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Protocol

from queuelint.discover import looks_minified
from queuelint.files import read_bytes
from queuelint.pool import Workers

if TYPE_CHECKING:
    from queuelint.cache import FactCache
    from queuelint.engine import Workspace
    from queuelint.model import FileFacts


# `mailQueue.add(`, `mailQueue.name`: receivers a skipped file might use an exported queue as.
# Found from the method (rare) back to the name before it: a regex that tries every
# identifier of every file costs twice as much.
RECEIVER_METHOD = re.compile(rb"\.\s*(?:add|addBulk|process|name)\b")


# The name before such a call, read backwards from it (the text reversed): a regex searched
# forwards over the 200 bytes before each call cost a second on a large Python tree.
RECEIVER_NAME_REVERSED = re.compile(rb"\s*([\w$]+)")


def receivers_in(data: bytes) -> tuple[str, ...]:
    """Names a method of a queue object is called on (`mailQueue.add(`, `queue?.name`)."""
    found = set()
    for method in RECEIVER_METHOD.finditer(data):
        start = method.start()
        if start and data[start - 1] == 0x3F:  # `queue?.add(`
            start -= 1
        before = data[max(0, start - 200) : start][::-1]
        name = RECEIVER_NAME_REVERSED.match(before)
        if name is not None:
            identifier = name.group(1)[::-1].lstrip(b"0123456789")
            if identifier:
                found.add(identifier.decode("utf-8", "replace"))
    return tuple(sorted(found))


def exported_queue_names(facts: Iterable[FileFacts]) -> set[bytes]:
    """Exported queue objects, whose users call methods on them (a task decorator alias, a
    `queue` binding whose reason names the consumers it makes, is used as a decorator)."""
    names: set[bytes] = set()
    for file in facts:
        exported = {local for _, local in file.exports}
        names.update(name.encode() for name, expr in file.bindings
                     if expr.kind == "queue" and not expr.reason and name in exported)
    return names


class Store(Protocol):
    """What the second look reads into: the facts so far, and a way to read one more file."""

    @property
    def facts(self) -> Mapping[str, FileFacts]: ...

    def load(self, path: str) -> FileFacts | None: ...


def second_look(store: Store, passed_over: Sequence[str], cache: FactCache | None, workers: Workers | None,
                workspace: Workspace | None = None) -> int:
    """Read the files the first pass passed over that use what the files read export, and
    need not name a queue library to do so: users of an exported queue object (by the
    receivers they call methods on), senders of an actor defined elsewhere (by its name), and
    importers of a module that is a queue as a whole (by its path). Returns how many."""
    from queuelint.frontends import PYTHON_SUFFIXES

    read = 0
    found = queue_users(exported_queue_names(store.facts.values()), passed_over, cache, workspace)
    for words, suffixes in ((sent_actors(store.facts.values()), PYTHON_SUFFIXES),
                            (whole_module_queues(store.facts.values()), None)):
        pending = [p for p in passed_over if p not in store.facts and (suffixes is None or p.endswith(suffixes))]
        found += files_using(words, pending, cache, workers, workspace) if words else []
    for path in dict.fromkeys(found):
        if path not in store.facts and store.load(path) is not None:
            read += 1
    return read


def whole_module_queues(facts: Iterable[FileFacts]) -> set[bytes]:
    """The words importers of a module that is a queue as a whole use in their import path
    (`module.exports = new Queue('mail')` or `export default mailQueue` in `mailQueue.js`:
    `mailQueue`; an `index` file: its directory's name). The importer names the queue as it
    likes (`const mail = require('./mailQueue')`), so its receivers say nothing."""
    import os

    from queuelint.model import WHOLE_MODULE  # not imported by a run answered from the last one

    words: set[bytes] = set()
    for file in facts:
        queues = {name for name, expr in file.bindings if expr.kind == "queue" and not expr.reason}
        if any(exported in ("default", WHOLE_MODULE) and local in queues for exported, local in file.exports):
            stem = os.path.splitext(os.path.basename(file.path))[0]
            if stem == "index":
                stem = os.path.basename(os.path.dirname(file.path))
            words.add(stem.encode())
    return words


# How a module sends an actor (or RQ `@job` function) it imports: `send_welcome.send(…)`,
# `.message(…)` in a pipeline or group, `.delay(…)`; a bound `.send` handed on is one too.
SENDS = (b".send", b".send_with_options", b".message", b".message_with_options", b".delay")


def sent_actors(facts: Iterable[FileFacts]) -> set[bytes]:
    """The words a module sending a Dramatiq actor (or RQ `@job` function) another module
    defines uses: the actor's name and how it is sent (`send_welcome.send`). The module need
    not name the library; `.send(` alone is every Django signal's and socket's, and an actor's
    name alone (`account`, `request`) is every other module's word too."""
    import os

    from queuelint.model import ACTOR_QUEUE  # not imported by a run answered from the last one

    names: set[bytes] = set()
    modules: set[bytes] = set()  # the modules defining them, by the last part of their name
    for file in facts:
        if file.language != "python":
            continue
        found = {name.removesuffix(ACTOR_QUEUE).encode() for name, _ in file.bindings
                 if name.endswith(ACTOR_QUEUE) and "." not in name.removesuffix(ACTOR_QUEUE)}
        if found:
            names |= found
            stem = os.path.splitext(os.path.basename(file.path))[0]
            stem = os.path.basename(os.path.dirname(file.path)) if stem == "__init__" else stem
            if len(stem) >= 10 and "_" in stem:  # `tasks import` would be every module's
                modules.add(stem.encode())
    # Imported under another name (`from app.long_running_actors import rebuild as actor`): sent
    # by that one, in a module importing from the actor's (one word per module, not per actor).
    return {name + send for name in names for send in SENDS} | {module + b" import" for module in modules}


def queue_users(names: set[bytes], paths: Sequence[str], cache: FactCache | None,
                 workspace: Workspace | None = None) -> list[str]:
    """Files calling a method on (or reading `.name` of) one of `names`; the cache (or the
    language server's workspace) remembers each file's receivers, so unchanged files are not
    read again."""
    if not names:
        return []
    wanted = {n.decode() for n in names}
    if workspace is not None:
        return workspace.users(list(paths), wanted)
    selected, unknown = [], []
    for path in paths:
        entry = cache.entries.get(path) if cache is not None and path in cache.fresh else None
        if entry is not None and entry.receivers is not None:
            if wanted.intersection(entry.receivers):
                selected.append(path)
        else:
            unknown.append(path)
    return selected + files_using(names, unknown)


def files_using(names: set[bytes], paths: Sequence[str], cache: FactCache | None = None,
                 workers: Workers | None = None, workspace: Workspace | None = None) -> list[str]:
    """Files that mention one of `names`; with a cache (or the language server's workspace),
    only changed files are read again."""
    if not names:
        return []
    if workspace is not None:
        return [path for path in paths if workspace.mentions(path, frozenset(names))]
    key = b",".join(sorted(names)).decode()
    known: dict[str, bool] = {}
    if cache is not None:
        for path in paths:
            mentioned = cache.mentioned(key, path)
            if mentioned is not None:
                known[path] = mentioned
    unknown = [p for p in paths if p not in known]
    if workers is not None and workers.wanted(len(unknown)):
        found = workers.map(partial(_mention, names=frozenset(names)), unknown)
    else:
        found = _mention(unknown, frozenset(names))
    known.update(zip(unknown, found, strict=True))
    selected = [path for path in paths if known[path]]
    if cache is not None:
        cache.remember_mentions(key, paths, selected)
    return selected


def mentions_any(path: str, texts: Sequence[bytes]) -> bool:
    """Whether the file holds one of `texts` as written (an unreadable one does not)."""
    try:
        data = read_bytes(path)
    except OSError:
        return False
    return any(text in data for text in texts)


def _mention(paths: Sequence[str], names: frozenset[bytes]) -> list[bool]:
    """Whether each file mentions one of `names` (an unreadable one does not)."""
    search = WordSearch(names)
    found = []
    for path in paths:
        try:
            data = read_bytes(path)
        except OSError:
            found.append(False)
            continue
        found.append(search.found_in(data))
    return found


class WordSearch:
    """Whether a file mentions one of `names` as a whole word (and is not minified)."""

    def __init__(self, names: Iterable[bytes]) -> None:
        self.names = sorted(names)
        self.pattern = re.compile(rb"\b(" + b"|".join(re.escape(n) for n in self.names) + rb")\b")

    def found_in(self, data: bytes) -> bool:
        # A substring search first: ten times faster than the regex, which most files fail.
        return (any(name in data for name in self.names) and self.pattern.search(data) is not None
                and not looks_minified(data))
