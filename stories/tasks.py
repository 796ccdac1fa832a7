from celery import shared_task

from stories.jobs import run_generation


@shared_task(name="stories.tasks.generate_story", acks_late=True, reject_on_worker_lost=True, max_retries=3)
def generate_story(story_id: str) -> None:
    """Generate the story with this id; takes only the id, never the object."""
    run_generation(story_id)


@shared_task(name="stories.tasks.refine_story", acks_late=True, reject_on_worker_lost=True, max_retries=3)
def refine_story(story_id: str) -> None:
    """Refine the story with this id into its next version; takes only the id."""
    from stories.refinement import run_refinement_job

    run_refinement_job(story_id)
