"""`runserver` plus the periodic jobs (jobs.localbeat) in the serving process.

`scripts/run.sh` uses it when no Celery broker is set, so the default mode (SQLite, tasks
in-process) still ends public notices, sends reminders and issues letters.
"""

from django.core.management.commands.runserver import Command as RunserverCommand

from jobs.localbeat import beat_thread_start


class Command(RunserverCommand):
    help = "Development server with the Celery beat schedule run in-process (no broker needed)."

    def inner_run(self, *args, **options):
        # inner_run runs in the serving process only (not in the autoreloader's parent).
        beat_thread_start()
        return super().inner_run(*args, **options)
