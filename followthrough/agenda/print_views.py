"""The print page of a card batch: pick the paper (US Letter with Avery 5160 labels, or A4
with Avery L7163; the business's country picks the default), print the cards, labels and
postcards on it, and see who gets no label for want of a postal address."""

from django.urls import path
from django.views.decorators.http import require_GET

from followthrough.agenda import printables
from followthrough.agenda.views import _batch, _batch_cards, _is_reminder, _pdf
from followthrough.tenants.access import business_required
from followthrough.tenants.views import in_business_zone, render


def _page(request, batch, cards, form, status=200):
    context = {
        "batch": batch, "cards": cards, "form": form,
        "reminders": sum(1 for c in cards if _is_reminder(c)),
        "needing_address": printables.needing_address(cards),
        "usual": printables.default_paper(request.business),
    }
    return render(request, "agenda/print/page.html", context, nav="today", status=status)


@business_required
@in_business_zone
@require_GET
def print_page(request, public_id):
    batch = _batch(request, public_id)
    form = printables.paper_form(request.business, request.GET)
    return _page(request, batch, _batch_cards(batch), form)


def _printable(draw, filename, keep=None):
    """The view that draws a batch's cards (only those `keep` accepts, if given) as a PDF on
    the chosen paper; an unknown paper gets the print page back with the field's error."""

    @business_required
    @in_business_zone
    @require_GET
    def view(request, public_id):
        batch = _batch(request, public_id)
        cards = _batch_cards(batch)
        form = printables.paper_form(request.business, request.GET)
        paper = printables.chosen_paper(form)
        if paper is None:
            return _page(request, batch, cards, form, status=400)
        chosen = [c for c in cards if keep(c)] if keep else cards
        return _pdf(draw(request.business, chosen, paper), filename)

    return view


print_cards = _printable(printables.cards_pdf, "cards.pdf")
print_labels = _printable(printables.labels_pdf, "labels.pdf")
print_postcards = _printable(printables.postcards_pdf, "postcards.pdf", keep=_is_reminder)

# Included from agenda/urls.py: path("", include("followthrough.agenda.print_views")).
urlpatterns = [
    path("cards/<str:public_id>/print/", print_page, name="print_page"),
    path("cards/<str:public_id>/print/cards.pdf", print_cards, name="print_cards"),
    path("cards/<str:public_id>/print/labels.pdf", print_labels, name="print_labels"),
    path("cards/<str:public_id>/print/postcards.pdf", print_postcards, name="print_postcards"),
]
