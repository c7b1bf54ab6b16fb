"""Claimers racing on PostgreSQL: for the tests that prove a conditional claim hands each
row to exactly one of several workers."""

import threading

from django.db import connection


def claim_concurrently(claim, claimers: int = 4) -> list[list[int]]:
    """Run `claim()` (returning the claimed rows, empty when nothing is left) in `claimers`
    threads started together until each gets nothing; the row ids each thread claimed."""
    claimed: list[list[int]] = []
    lock = threading.Lock()
    start = threading.Barrier(claimers)

    def claimer():
        start.wait()
        mine = []
        try:
            while rows := claim():
                mine += [row.id for row in rows]
        finally:
            connection.close()
        with lock:
            claimed.append(mine)

    threads = [threading.Thread(target=claimer) for _ in range(claimers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return claimed
