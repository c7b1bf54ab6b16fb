"""`make bench-compare` flags a figure that got more than 20% worse, in the right
direction for each kind of figure, and `python -m bench.docs` writes what was measured."""

import json

from bench import docs, results


def run(**figures) -> dict:
    return {"results": {name: {"name": name, **values} for name, values in figures.items()}}


def test_it_flags_a_ratio_that_fell_by_more_than_a_fifth():
    _, flags = results.compare(run(planning={"ratio": 0.72}), run(planning={"ratio": 0.55}))
    assert flags == ["planning: planning.ratio got 24% worse (0.72 -> 0.55)"]


def test_it_flags_a_time_that_grew_and_not_one_that_shrank():
    old = run(dashboard={"cold_ms": {"90 days": 200, "all time": 300}})
    new = run(dashboard={"cold_ms": {"90 days": 250, "all time": 100}})
    _, flags = results.compare(old, new)
    assert flags == ["dashboard: dashboard.cold_ms.90 days got 25% worse (200 -> 250)"]


def test_it_leaves_a_change_within_a_fifth_alone():
    _, flags = results.compare(run(web={"ratio": {"survey": 0.5}}),
                               run(web={"ratio": {"survey": 0.41}}))
    assert flags == []


def test_it_exits_1_when_something_got_worse(tmp_path, capsys):
    (tmp_path / "old.json").write_text(json.dumps(run(idle_tick={"ratio": 1.0})))
    (tmp_path / "new.json").write_text(json.dumps(run(idle_tick={"ratio": 1.3})))
    assert results.main([str(tmp_path / "old.json"), str(tmp_path / "new.json")]) == 1
    assert "idle_tick.ratio got 30% worse" in capsys.readouterr().out


def test_it_writes_the_measured_figures_with_their_commit_and_keeps_the_narrative(tmp_path):
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\nIntro.\n\n## What each one measures\n\nText.\n")
    measured = tmp_path / "latest.json"
    measured.write_text(json.dumps(run(planning={"ratio": 0.7, "commit": "abc1234",
                                                 "date": "2026-12-07 21:00 UTC"})))
    docs.regenerate(measured, doc)
    docs.regenerate(measured, doc)  # twice: the block is replaced, not added again
    text = doc.read_text()
    assert text.count(docs.START) == 1
    assert "| planning | ratio: 0.7 | `abc1234` | 2026-12-07 21:00 UTC |" in text
    assert "## What each one measures\n\nText." in text
