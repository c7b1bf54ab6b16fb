"""The django-tasks job of bench/peers.py: send one reminder email to the sink."""

from django_tasks import task

from bench.peers import send_reminder


@task()
def remind(n: int) -> None:
    send_reminder(n)
