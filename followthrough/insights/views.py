import csv

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from followthrough import csvsafe
from followthrough.insights import dashboard, rollup, svg, tables
from followthrough.insights import metrics as m
from followthrough.playbooks import services
from followthrough.playbooks.models import Playbook, Step
from followthrough.tenants import audit
from followthrough.tenants.access import business_required, get_scoped_or_404, owner_required
from followthrough.tenants.views import in_business_zone, render

OUTCOME_SEGMENTS = [("Completed", "seg-done"), ("Skipped", "seg-skipped"),
                    ("Missed", "seg-missed")]


def _period(request) -> m.Period:
    return m.period(request.GET.get("period"))


@business_required
@in_business_zone
@require_http_methods(["GET", "HEAD"])
def insights(request):
    p = _period(request)
    data = dashboard.figures(request.business, p)
    all_tables = tables.build(data)
    trend = data["trend"]
    labels = tables.month_labels(data)
    trend_chart = "" if data["building"] else svg.line_chart(
        "delta-trend", "Follow-up gaps by month",
        "Month by month of delivery: the follow-ups that came due and didn't happen, "
        "per job, and the follow-ups no plan of that month's jobs had at all. Lower is "
        "better; zero is the aim.",
        labels,
        [("Gaps per job", [t["practice"] for t in trend], "series-practice"),
         ("Not in the plan", [t["design"] for t in trend], "series-design")],
        y_max=5, y_ticks=[0, 1, 2, 3, 4, 5],
    )
    stage_chart = svg.stacked_bars(
        "stage-outcomes", "What happened at each stage",
        f"For touchpoints due in {p.label.lower()}: the share completed, skipped or missed "
        "at each of the four stages.",
        [(f"{r['stage']} · {r['name']}", [r["completed"], r["skipped"], r["missed"]])
         for r in data["outcomes_by_stage"]],
        OUTCOME_SEGMENTS,
    )
    context = {
        "p": p, "periods": [(k, label) for k, (label, _) in m.PERIODS.items()],
        "data": data, "tables": all_tables,
        "trend_chart": trend_chart, "stage_chart": stage_chart,
        "risk_shown": data["at_risk"],
        "penalties": m.PENALTIES, "no_contact_months": m.NO_CONTACT_MONTHS,
        "small_sample": m.SMALL_SAMPLE, "elements": len(m.ELEMENTS),
        "playbook_gaps": sum(len(g["missing"]) for g in data["gaps"]),
        "library": {e: (m.library_step(e) or {}).get("name", "") for e in m.ELEMENTS},
        "stages": [m.v.STAGE_NAMES[s] for s in m.STAGES],
    }
    return render(request, "insights/dashboard.html", context, nav="insights")


def _safe_cell(value):
    """The one CSV rule (followthrough.csvsafe): no cell can run as a formula."""
    return csvsafe.cell(value)


@owner_required  # CSV exports are owner-only and audited, like every export (docs/security.md)
@in_business_zone
@require_http_methods(["GET", "HEAD"])
def export_csv(request, table):
    p = _period(request)
    data = dashboard.figures(request.business, p, full=table == "at-risk")
    found = tables.build(data).get(table)
    if found is None:
        raise Http404("No such table")
    audit.record(request, request.business, "export.csv", target=("export", found.slug),
                 changes={"period": p.key})
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"{request.business.slug}-{found.slug}-{p.key}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    writer = csv.writer(response)
    writer.writerow(found.headers)
    for row in found.rows:
        writer.writerow([_safe_cell(cell) for cell in row])
    return response


@business_required
@require_http_methods(["GET", "HEAD"])
def build_progress(request):
    """The progress card the page polls while the worker builds the rollups; once they
    are built, htmx reloads the whole page."""
    building = rollup.progress(request.business)
    if building is None:
        response = HttpResponse("")
        response["HX-Refresh"] = "true"
        return response
    return render(request, "insights/_building.html", {"building": building})


@owner_required
@require_POST
def add_element(request, public_id):
    """The one-click fix: copy the built-in step for a missing element into a playbook."""
    playbook = get_scoped_or_404(Playbook.objects.all(), request.business, public_id=public_id)
    back = reverse("insights") + "#delta"
    element = request.POST.get("element", "")
    if element not in m.ELEMENTS:
        messages.error(request, "Choose one of the five post-service elements to add.")
        return redirect(back)
    name = m.ELEMENT_NAMES[element].lower()
    if playbook.steps.filter(element=element).exists():
        messages.info(request, f"{playbook.name} already has a {name} step.")
        return redirect(back)
    fields = dict(m.library_step(element))
    step = Step(playbook=playbook, position=services.next_position(playbook), **fields)
    try:
        step.full_clean()
    except ValidationError:  # the library is ours and valid; say so plainly if not
        messages.error(request, f"The built-in {name} step could not be added. "
                                "Add it by hand from the playbook page.")
        return redirect(back)
    services.save_step(step)
    messages.success(
        request, f"Added “{step.name}” to {playbook.name}. Open jobs on this playbook "
        "pick it up now; edit the wording on the playbook page.")
    return redirect(back)
