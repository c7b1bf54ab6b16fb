"""Every table on the Insights page, as plain rows: the page shows them and /insights/export/
sends the same rows as CSV, so an export always matches what is on screen."""

from dataclasses import dataclass

from django.utils import timezone

from followthrough.insights import metrics as m
from followthrough.insights.dashboard import month_label


@dataclass
class Table:
    slug: str
    title: str
    headers: list[str]
    rows: list[list]


def dash(value, suffix: str = "") -> str:
    return "—" if value is None else f"{value}{suffix}"


def when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d") if value else "—"


def build(data: dict) -> dict[str, Table]:
    tables = [
        Table("delta-trend", "Follow-up gaps by month",
              ["Month", "Delivered", "Gaps per job", "Not in the plan"],
              [[f"{t['month']:%b %Y}", t["engagements"], dash(t["practice"]),
                dash(t["design"])] for t in data["trend"]]),
        Table("playbook-gaps", "What each playbook leaves out",
              ["Playbook", "Missing", "Elements missing"],
              [[g["name"], len(g["missing"]), ", ".join(g["missing_names"]) or "None"]
               for g in data["gaps"]]),
        Table("coverage", "Which stages each playbook covers",
              ["Playbook", *[f"{s} · {m.v.STAGE_NAMES[s]}" for s in m.STAGES]],
              [[c["name"], *c["stages"]] for c in data["coverage"]]),
        Table("stages", "What happened at each stage",
              ["Stage", "Completed", "Skipped", "Missed", "Total", "Completed %"],
              [[f"{r['stage']} · {r['name']}", r["completed"], r["skipped"], r["missed"],
                r["total"], dash(r["completed_rate"], "%")] for r in data["outcomes_by_stage"]]),
        Table("at-risk", "Customers who need attention",
              ["Customer", "Score", "Why", "Last contact", "Promises kept",
               "Latest score", "Open incident", "Maintenance due"],
              [[r["name"], r["score"], "; ".join(r["reasons"]), when(r["last_contact"]),
                dash(r["promise_keeping"], "%"), dash(r["latest_score"]),
                "Yes" if r["open_incident"] else "No",
                "Overdue" if r["maintenance_overdue"] else when(r["maintenance_due"])]
               for r in data["at_risk"]]),
        # Titled apart from their sections: each names a scrolling region (tables.js), and
        # two landmarks with one name are one too many for a screen reader's list.
        Table("outcomes", "Business outcomes, measure by measure",
              ["Measure", "Figure", "Based on"],
              outcome_rows(data)),
    ]
    if data["feedback"] is not None:
        tables.insert(5, Table("feedback", "Feedback, measure by measure",
                               ["Measure", "Figure", "Based on"],
                               feedback_rows(data["feedback"])))
    return {t.slug: t for t in tables}


def feedback_rows(f: dict) -> list[list]:
    wom = f["word_of_mouth"]
    return [
        ["Net Promoter Score", dash(f["nps"]),
         f"{f['nps_answers']} answers: {f['promoters']} promoters, {f['passives']} passives, "
         f"{f['detractors']} detractors"],
        ["Satisfied (4 or 5 of 5)", dash(f["csat"], "%"), f"{f['csat_answers']} answers"],
        ["Response rate", dash(f["response_rate"], "%"),
         f"{f['answered']} of {f['requests']} feedback requests answered"
         if f["requests"] is not None else "Worked out once the first build is done"],
        ["Median time to resolve an incident",
         dash(f["median_hours_to_resolve"], " hours"),
         f"{f['resolved_incidents']} resolved; {f['open_incidents']} open now"],
        ["Heard something bad (estimate)",
         f"{wom['unhappy_low']}–{wom['unhappy_high']} people",
         f"{wom['detractors']} unhappy × 20–30"],
        ["Heard something good (estimate)", f"{wom['happy_low']}–{wom['happy_high']} people",
         f"{wom['promoters']} happy × 7–10"],
    ]


def outcome_rows(data: dict) -> list[list]:
    repeat, nxt, ref, mnt = (data["repeat"], data["next_purchase"], data["referrals"],
                             data["maintenance"])
    rows = []
    if repeat is not None:  # None while the rollups are being built
        rows += [
            ["Repeat-purchase rate", dash(repeat["rate"], "%"),
             f"{repeat['repeat']} of {repeat['customers']} customers who bought in the "
             "period have bought more than once"],
            ["Median time to the next purchase", dash(nxt["median_days"], " days"),
             f"{nxt['pairs']} repeat purchases in the period"],
        ]
    rows += [
        ["Referrals made", ref["made"], "New customers sent by a customer"],
        ["Referrals converted", ref["converted"], dash(ref["rate"], "% of referrals bought")],
    ]
    if data["clicks"] is not None:
        sites = ", ".join(f"{site} {n}" for site, n in data["clicks"]["by_site"].items())
        rows.append(["Review-link clicks", data["clicks"]["clicks"], sites or "No clicks yet"])
    if mnt is not None:
        rows.append(["Maintenance reminders that became jobs",
                     f"{mnt['jobs']} of {mnt['reminders']}",
                     f"A sale or job won within {m.NEXT_JOB_DAYS} days of the reminder"])
    return rows


def month_labels(data: dict) -> list[str]:
    return [month_label(t["month"]) for t in data["trend"]]
