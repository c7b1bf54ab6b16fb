"""The dashboard benchmark (bench/dashboard.py) on PostgreSQL: a fresh database made for
the run and dropped after it (BENCH_POSTGRES names the server)."""

from bench import dashboard


def run() -> dict:
    return {**dashboard.run(database="postgresql"), "name": "dashboard_pg"}


if __name__ == "__main__":
    print(run())
