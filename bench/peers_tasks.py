"""The django-tasks job of bench/peers.py: what firing a reminder does (bench.peers.fire)."""

from django_tasks import task

from bench.peers import fire


@task()
def remind(n: int) -> None:
    fire(n)
