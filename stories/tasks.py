"""Celery tasks of the stories app: the model jobs and the periodic maintenance jobs.

Model jobs take only the story id and are idempotent, so a message delivered
twice writes a story once. They acknowledge their message only after they
finish (``acks_late``), and a worker process that dies mid-job sends the message
back to the queue (``reject_on_worker_lost``). The story's ``attempts`` counter
caps how often that can happen.
"""

from __future__ import annotations

from celery import Task, shared_task

from stories import recovery
from stories.jobs import run_generation


def _redelivered(task: Task) -> bool:
    """Return whether the broker sent this message before, to a worker that did not acknowledge it."""
    delivery_info = task.request.delivery_info or {}
    return bool(delivery_info.get("redelivered"))


@shared_task(bind=True, name="stories.tasks.generate_story", acks_late=True, reject_on_worker_lost=True)
def generate_story(self: Task, story_id: str) -> None:
    """Generate the story with this id; takes only the id, never the object."""
    if _redelivered(self):
        recovery.release_orphaned_story(story_id)
    run_generation(story_id)


@shared_task(bind=True, name="stories.tasks.refine_story", acks_late=True, reject_on_worker_lost=True)
def refine_story(self: Task, story_id: str) -> None:
    """Refine the story with this id into its next version; takes only the id."""
    from stories.refinement import run_refinement_job

    # NOTE: the refinement job's claim takes a ``running`` story whatever its last
    # progress, so a duplicate message for a story being refined runs a second job.
    if _redelivered(self):
        recovery.release_orphaned_story(story_id)
    run_refinement_job(story_id)


@shared_task(name="stories.tasks.find_stale_jobs")
def find_stale_jobs() -> dict[str, list[str]]:
    """Dispatch again, or fail, the stories whose job died or whose message was lost (run by celery beat)."""
    return recovery.find_stale_jobs().as_dict()


@shared_task(name="stories.tasks.prune_story_events")
def prune_story_events() -> int:
    """Delete old progress events of finished stories (run by celery beat); returns how many."""
    return recovery.prune_story_events()
