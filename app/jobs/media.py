"""The job behind a media call run as a task (app.gateway.media_tasks)."""
from . import app_context


def run_task(task_id: int, call) -> None:
    from ..gateway import media_tasks  # the gateway's modules load with the app, not with the worker's imports

    with app_context():
        media_tasks.execute(task_id, call)
