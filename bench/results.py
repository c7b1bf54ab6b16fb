"""What `make bench` measured, kept as JSON, and compared run against run.

`make bench` writes bench/results/latest.json (the run before it becomes previous.json):
the commit and date of the run, and each benchmark's result with the commit and date it
was measured on. Running one benchmark again (`python -m bench dashboard`) replaces only
its entry, so each figure keeps the commit it was really measured on.

`make bench-compare` (python -m bench.results OLD NEW) prints every figure of the two runs
side by side and flags each one that got more than 20% worse, naming the benchmark and by
how much; it exits 1 when one did. A figure is a result's `ratio` (a number, or a dict of
numbers) plus the dashboard's render times. Higher is better, except where LOWER_IS_BETTER
says otherwise."""

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

FOLDER = Path(__file__).resolve().parent / "results"
LATEST = FOLDER / "latest.json"
PREVIOUS = FOLDER / "previous.json"
WORSE = 0.20
# Figures where a smaller number is the better one: times, and ratios of our time to a
# baseline's time.
LOWER_IS_BETTER = ("idle_tick.ratio", "dashboard.cold_ms", "dashboard.warm_ms",
                   "dashboard.cold_no_change_ms", "dashboard_pg.cold_ms", "dashboard_pg.warm_ms",
                   "dashboard_pg.cold_no_change_ms")


def commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, cwd=FOLDER.parent, check=True)  # noqa: S603,S607
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, cwd=FOLDER.parent)  # noqa: S603,S607
        return out.stdout.strip() + ("+changes" if dirty.stdout.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def stamp(result: dict) -> dict:
    return {**result, "commit": commit(),
            "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")}


def load(path: Path) -> dict:
    return json.loads(Path(path).read_text()) if Path(path).exists() else {"results": {}}


def record(result: dict, path: Path = LATEST) -> None:
    """Put one benchmark's stamped result into the run file, keeping the others."""
    run = load(path)
    run["results"][result["name"]] = result
    run["commit"], run["date"] = result["commit"], result["date"]
    FOLDER.mkdir(exist_ok=True)
    Path(path).write_text(json.dumps(run, indent=2, sort_keys=True, default=str) + "\n")


def start_run() -> None:
    """A full `make bench`: the last run becomes previous.json."""
    if LATEST.exists():
        PREVIOUS.write_text(LATEST.read_text())
        LATEST.unlink()


def figures(result: dict) -> dict[str, float]:
    """name.key(.sub) → number, for every figure a result has."""
    name, out = result.get("name", "?"), {}
    for key in ("ratio", "cold_ms", "warm_ms", "cold_no_change_ms", "distance"):
        value = result.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            out[f"{name}.{key}"] = float(value)
        elif isinstance(value, dict):
            for sub, number in value.items():
                if isinstance(number, int | float) and not isinstance(number, bool):
                    out[f"{name}.{key}.{sub}"] = float(number)
    return out


def lower_is_better(figure: str) -> bool:
    return ".".join(figure.split(".")[:2]) in LOWER_IS_BETTER


def change(figure: str, old: float, new: float) -> float:
    """How much worse `new` is than `old`, as a fraction (negative: better)."""
    if old == 0:
        return 0.0
    return (new - old) / old if lower_is_better(figure) else (old - new) / old


def compare(old: dict, new: dict) -> tuple[list[str], list[str]]:
    """(lines of the side-by-side table, the lines flagging what got worse)."""
    before, after = {}, {}
    for result in old.get("results", {}).values():
        before.update(figures(result))
    for result in new.get("results", {}).values():
        after.update(figures(result))
    lines = [f"{'figure':<44} {'old':>10} {'new':>10} {'worse by':>9}"]
    flags = []
    for figure in sorted(set(before) | set(after)):
        a, b = before.get(figure), after.get(figure)
        if a is None or b is None:
            lines.append(f"{figure:<44} {_n(a):>10} {_n(b):>10} {'':>9}")
            continue
        worse = change(figure, a, b)
        mark = " <-- worse" if worse > WORSE else ""
        lines.append(f"{figure:<44} {_n(a):>10} {_n(b):>10} {worse:>8.0%}{mark}")
        if worse > WORSE:
            flags.append(f"{figure.split('.')[0]}: {figure} got {worse:.0%} worse "
                         f"({_n(a)} -> {_n(b)})")
    return lines, flags


def _n(value) -> str:
    return "-" if value is None else f"{value:g}"


def main(argv: list[str]) -> int:
    old = Path(argv[0]) if argv else PREVIOUS
    new = Path(argv[1]) if len(argv) > 1 else LATEST
    for path in (old, new):
        if not path.exists():
            print(f"No results at {path}: run `make bench` (twice, to have two runs).")
            return 2
    a, b = load(old), load(new)
    print(f"old: {old} (commit {a.get('commit', '?')}, {a.get('date', '?')})")
    print(f"new: {new} (commit {b.get('commit', '?')}, {b.get('date', '?')})\n")
    lines, flags = compare(a, b)
    print("\n".join(lines))
    print()
    if flags:
        print(f"{len(flags)} figure(s) more than {WORSE:.0%} worse:")
        print("\n".join(f"  {flag}" for flag in flags))
        return 1
    print(f"No figure is more than {WORSE:.0%} worse.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
