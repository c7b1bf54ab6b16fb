"""The search benchmark (bench/search.py) on PostgreSQL: a fresh database made for the run
and dropped after it (BENCH_POSTGRES names the server)."""

from bench import search


def run() -> dict:
    return {**search.run(database="postgresql"), "name": "search_pg"}


if __name__ == "__main__":
    print(run())
