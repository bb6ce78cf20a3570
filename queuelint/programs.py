"""Programs: which code runs together. Test code is its own program: a worker a test builds
serves the test's producers, not production's, and two registrations only collide when one
program makes both.
"""

from __future__ import annotations

import re

TEST_DIRECTORIES = frozenset({"test", "tests", "__tests__", "__mocks__", "spec", "specs", "e2e", "testing"})
TEST_FILE = re.compile(r"(^test_.*\.py$|_tests?\.py$|^conftest.*\.py$|\.(spec|test|e2e-spec)\.[cm]?[jt]sx?$)")
Program = str  # "main" | "test"


def program_of(relative_path: str) -> Program:
    """The program a file (relative to the project root) belongs to."""
    *directories, name = relative_path.replace("\\", "/").split("/")
    if TEST_FILE.search(name) or any(part in TEST_DIRECTORIES for part in directories):
        return "test"
    return "main"


def serves(consumer: Program, producer: Program) -> bool:
    """Whether a consumer of one program takes the jobs a producer of another adds: test
    producers reach every consumer; production producers only production's."""
    return consumer == "main" or producer == "test"


def family(library: str) -> str:
    """Bull and BullMQ share queues (a Bull producer, a BullMQ worker); others have their own."""
    return "bull" if library in ("bull", "bullmq") else library
