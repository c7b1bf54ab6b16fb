from followthrough.customers.models import Customer
from followthrough.integrations.exports import customers, feedback, neutralise, rows_as_csv


def test_it_neutralises_formulas():
    assert [neutralise(v) for v in ["=1+1", "+44", "-2", "@SUM(A1)", "ok", None]] == [
        "'=1+1", "'+44", "'-2", "'@SUM(A1)", "ok", ""]


def test_it_neutralises_cells_in_the_customer_export(business):
    Customer.objects.create(business=business, name='=HYPERLINK("http://evil")',
                            email="a@example.com")

    text = "".join(rows_as_csv(customers(business)))

    assert "'=HYPERLINK" in text
    assert ',=HYPERLINK' not in text


def _answer(business, **answers):
    from django.utils import timezone

    from followthrough.feedback import services as feedback_services
    from followthrough.playbooks.library import install_builtin_playbooks
    from followthrough.touchpoints import services as touchpoint_services

    playbook = install_builtin_playbooks(business)[0]
    customer = Customer.objects.create(business=business, name="-Ada", email="a@example.com")
    engagement = touchpoint_services.create_engagement(business, customer, playbook,
                                                       won_at=timezone.now())
    return feedback_services.submit_response(engagement.touchpoints.first(), answers)


def test_it_exports_survey_answers(business):
    response = _answer(business, nps=9, csat=5, went_well="Tidy work")

    lines = "".join(rows_as_csv(feedback(business))).splitlines()

    assert lines[0].lstrip("\ufeff").startswith("id,customer,customer_name,engagement,nps,csat")
    assert lines[1].startswith(f"{response.public_id},")
    assert ",9,5,Tidy work," in lines[1]


def test_it_neutralises_cells_in_the_feedback_export(business):
    _answer(business, nps=2, improve="=cmd|' /C calc'!A0", went_well="@SUM(A1)")

    text = "".join(rows_as_csv(feedback(business)))

    assert "'=cmd" in text and "'@SUM(A1)" in text and ",'-Ada," in text
    assert ",=cmd" not in text


def test_it_leaves_out_other_businesses_answers(business, other_business):
    _answer(other_business, nps=10)

    assert len(list(feedback(business))) == 1
