"""The language server's view of the disk: open buffers win, and the disk is looked at again
when the editor reports a change or every `REVALIDATE_SECONDS`, not on every keystroke."""

from __future__ import annotations

from pathlib import Path

import pytest

from queuelint import engine
from queuelint.config import Settings
from tests.helpers import write_project
from tests.test_cli import BAD
from tests.test_server import FIXED_WORKER


def codes(root: Path, workspace: engine.Workspace) -> list[str]:
    result = engine.analyse([str(root)], Settings(root=str(root)), workspace=workspace)
    return [d.code for d in result.diagnostics]


@pytest.fixture
def workspace(tmp_path: Path) -> engine.Workspace:
    write_project(tmp_path, BAD)
    workspace = engine.Workspace()
    workspace.REVALIDATE_SECONDS = 3600.0  # only reported changes count in these tests
    assert codes(tmp_path, workspace) == ["QL102"]
    return workspace


def test_disk_changes_count_once_reported(tmp_path: Path, workspace: engine.Workspace) -> None:
    (tmp_path / "src/worker.ts").write_text(FIXED_WORKER)
    assert codes(tmp_path, workspace) == ["QL102"]  # not looked at yet
    workspace.disk_changed()
    assert codes(tmp_path, workspace) == []


def test_new_files_count_once_reported(tmp_path: Path, workspace: engine.Workspace) -> None:
    write_project(tmp_path, {"src/late.ts": """
        import { Queue } from 'bullmq';
        const mail = new Queue('mail');
        await mail.add('late', {});
    """})
    assert codes(tmp_path, workspace) == ["QL102"]
    workspace.disk_changed()
    assert codes(tmp_path, workspace) == ["QL102", "QL102"]


def test_buffers_count_at_once(tmp_path: Path, workspace: engine.Workspace) -> None:
    worker = str(tmp_path / "src/worker.ts")
    workspace.buffers[worker] = FIXED_WORKER.encode()
    assert codes(tmp_path, workspace) == []
    del workspace.buffers[worker]
    assert codes(tmp_path, workspace) == ["QL102"]


def test_the_disk_is_looked_at_again_after_a_while(tmp_path: Path, workspace: engine.Workspace) -> None:
    (tmp_path / "src/worker.ts").write_text(FIXED_WORKER)
    workspace.REVALIDATE_SECONDS = 0.0
    assert codes(tmp_path, workspace) == []
