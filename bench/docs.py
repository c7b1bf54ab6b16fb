"""Regenerate the measured tables of docs/benchmarks.md from bench/results/latest.json.

Only the part between the two marker lines is written; the narrative around it stays as it
is. Every row names the commit and date its figures were measured on, so the document
cannot drift from what was measured: a benchmark missing from the results says so instead
of keeping an old figure.

    python -m bench.docs [results.json]
"""

import sys
from pathlib import Path

from bench.results import LATEST, load

DOC = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
START = "<!-- generated from bench/results/latest.json by `python -m bench.docs`: do not edit -->"
END = "<!-- end of generated tables -->"
SHOWN = ("project", "baseline", "floor", "project_ms", "rates", "ratio", "distance", "cold_ms",
         "warm_ms", "cold_no_change_ms", "rollup_build_s", "peak_rss_mib", "load", "goal",
         "met")


def cell(value) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{k}: {cell(v)}" for k, v in value.items())
    if isinstance(value, bool) or value is None:
        return {True: "yes", False: "**no**", None: "—"}[value]
    return str(value).replace("|", "\\|")


def table(run: dict) -> str:
    rows = ["| Benchmark | Figures | Commit | Measured |", "|---|---|---|---|"]
    for name, result in sorted(run.get("results", {}).items()):
        figures = "<br>".join(f"{key}: {cell(result[key])}" for key in SHOWN if key in result)
        sizes = ", ".join(f"{k} {result[k]:,}" for k in ("customers", "touchpoints", "rows",
                                                         "engagements")
                          if isinstance(result.get(k), int))
        label = f"{name} ({sizes})" if sizes else name
        rows.append(f"| {label} | {figures} | `{result.get('commit', '?')}` "
                    f"| {result.get('date', '?')} |")
    if len(rows) == 2:
        rows.append("| (no results yet: run `make bench`) | | | |")
    return "\n".join(rows)


def regenerate(results: Path = LATEST, doc: Path = DOC) -> str:
    text = doc.read_text()
    block = f"{START}\n\n{table(load(results))}\n\n{END}"
    if START in text and END in text:
        head, rest = text.split(START, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        first, _, rest = text.partition("\n\n")
        text = f"{first}\n\n{block}\n\n{rest}"
    doc.write_text(text)
    return text


if __name__ == "__main__":
    regenerate(Path(sys.argv[1]) if len(sys.argv) > 1 else LATEST)
    print(f"Wrote {DOC}")
