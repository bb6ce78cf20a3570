"""Python projects end to end, in shapes seen in real code: what is registered where, and
what must not be taken for a queue call."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import found, run


def test_a_task_module_that_imports_its_app_from_the_project_is_read(tmp_path: Path) -> None:
    """`@app.task` with `app` imported from the project: the module never names Celery, but
    its tasks are registered (and a call to a misspelled one is still found)."""
    diagnostics = run(tmp_path, {
        "proj/__init__.py": "",
        "proj/worker.py": "from celery import Celery\napp = Celery('proj')\n",
        "proj/images.py": """
            from proj.worker import app

            @app.task
            def make_thumbnail(image_id):
                return image_id

            @app.task(bind=True, queue='images')
            def make_preview(self, image_id):
                return image_id
        """,
        "proj/views.py": """
            from proj.images import make_thumbnail, make_preview
            from proj.worker import app

            def upload(image_id):
                make_thumbnail.delay(image_id)
                make_preview.apply_async((image_id,))
                app.send_task('proj.images.make_thumbnails', args=[image_id])
        """,
    })
    assert found(tmp_path, diagnostics) == {("proj/views.py", 8, "QL102")}
