"""The process pool of one analysis: one process per core, started on first use and shared
by its phases, and the collector's pace every process runs at."""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

Item = TypeVar("Item")
Done = TypeVar("Done")


PARALLEL_THRESHOLD = 64  # below this many files, a process pool costs more than it saves


RUNNING_POOL_THRESHOLD = 8  # ... to start; once started, sending files to it costs little


def collect_rarely() -> None:
    """A run allocates its data once and keeps nearly all of it to the end: the collector's
    default pace (a pass every 700 allocations, a full pass as the heap grows by a quarter)
    cost a sixth of a run from cached facts, and of a cold one, for cycles that do not occur.
    Set in the main process and in every worker (not inherited when workers are spawned)."""
    gc.set_threshold(100_000, 20, 100)


class Workers:
    """The processes of one analysis, started on first use and shared by its phases (the first
    pass, then wrapper call sites): starting them costs a tenth of a second each time."""

    def __init__(self, jobs: int) -> None:
        self.jobs = jobs
        self.processes = 0  # started so far
        self._pool: ProcessPoolExecutor | None = None

    def wanted(self, count: int) -> bool:
        """Whether `count` files are worth sending to other processes: fewer once they run."""
        return self.jobs > 1 and count >= (PARALLEL_THRESHOLD if self._pool is None else RUNNING_POOL_THRESHOLD)

    def map(self, work: Callable[[list[Item]], list[Done]], items: Sequence[Item],
            meanwhile: Callable[[], object] | None = None) -> list[Done]:
        """`work` over `items`, in order. Chunks are dealt like cards (item i to chunk i mod n):
        the files of one directory tend to be alike, and a run of heavy ones in one chunk
        would keep one core busy while the others wait. `meanwhile` runs here while the
        workers work."""
        count = max(1, min(len(items) // 8, self.jobs * 16))
        if self._pool is None:
            from concurrent.futures import ProcessPoolExecutor  # 40 ms: only for runs that read many files

            # No more processes than chunks to give them (`--jobs 500` on 300 files starts 37).
            self.processes = min(self.jobs, count)
            self._pool = ProcessPoolExecutor(max_workers=self.processes, initializer=collect_rarely)
        chunks = [list(items[start::count]) for start in range(count)]
        results: list[Done] = [None] * len(items)  # type: ignore[list-item]  # every slot is filled below
        pending = self._pool.map(work, chunks)  # every chunk is submitted now
        if meanwhile is not None:
            meanwhile()
        for start, chunk in enumerate(pending):
            results[start::count] = chunk
        return results

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None


def default_jobs() -> int:
    return max(1, os.cpu_count() or 1)
