"""`make bench`: each benchmark runs the project and its baseline side by side in one run,
in its own process (each sets up its own database), and prints the ratio. Every result is
written to bench/results/latest.json with the commit and date it was measured on
(bench/results.py); `make bench-compare` compares it with the run before.

    python -m bench                  every benchmark (the last run becomes previous.json)
    python -m bench dashboard web    only these (by name), updating their entries only"""

import json
import subprocess
import sys
import time

from bench import results

BENCHMARKS = [
    ("bench.planning", "Planning: plan + insert the touchpoints of 100,000 engagements"),
    ("bench.dispatch", "Dispatch: the worker sends 10,000 due emails to an SMTP sink"),
    ("bench.idle_tick", "Idle tick: one empty worker pass with 1,000,000 future touchpoints"),
    ("bench.dashboard", "Dashboard: Insights with 100,000 customers and 1,000,000 touchpoints"),
    ("bench.dashboard_pg", "Dashboard on PostgreSQL: the same, 100,000 and 1,000,000"),
    ("bench.import_customers", "Import: 100,000 customers from CSV vs raw sqlite3 insert"),
    ("bench.search", "Search: answers as you type with 100,000 customers vs LIKE '%q%'"),
    ("bench.search_pg", "Search on PostgreSQL: the same, 100,000 customers"),
    ("bench.worker_scaling", "Worker scaling: 1, 2 and 4 workers on PostgreSQL, 20 ms sink"),
    ("bench.planning_pg", "Planning at scale: 1,000,000 touchpoints on PostgreSQL vs raw COPY"),
    ("bench.web", "Web: survey and Today pages under wrk vs a hello-world view"),
    ("bench.worker_memory", "Memory: worker RSS over 100,000 sends"),
    ("bench.peers", "Peers: 10,000 reminders via APScheduler 3, django-tasks, Followthrough"),
]


def run_one(module: str) -> dict:
    code = f"import json, {module} as b; print('RESULT ' + json.dumps(b.run()))"
    started = time.monotonic()
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    elapsed = time.monotonic() - started
    for line in completed.stdout.splitlines():
        if line.startswith("RESULT "):
            result = json.loads(line[len("RESULT "):])
            result["seconds"] = round(elapsed, 1)
            return result
    sys.stderr.write(completed.stdout + completed.stderr)
    return {"name": module, "error": f"exit {completed.returncode}"}


def main(names: list[str]) -> int:
    chosen = [(m, t) for m, t in BENCHMARKS if not names or m.split(".")[1] in names]
    if not chosen:
        print(f"No benchmark named {', '.join(names)}; the names are: "
              + ", ".join(m.split(".")[1] for m, _ in BENCHMARKS))
        return 2
    if not names:
        results.start_run()
    failures = 0
    for module, title in chosen:
        print(f"\n== {title}", flush=True)
        result = run_one(module)
        if "error" in result:
            failures += 1
        else:
            results.record(results.stamp(result))
        for key, value in result.items():
            print(f"  {key:>24}: {value}")
    print(f"\nResults: {results.LATEST}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
