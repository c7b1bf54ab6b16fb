from followthrough.customers.models import Customer
from followthrough.integrations.exports import customers, neutralise, rows_as_csv


def test_it_neutralises_formulas():
    assert [neutralise(v) for v in ["=1+1", "+44", "-2", "@SUM(A1)", "ok", None]] == [
        "'=1+1", "'+44", "'-2", "'@SUM(A1)", "ok", ""]


def test_it_neutralises_cells_in_the_customer_export(business):
    Customer.objects.create(business=business, name='=HYPERLINK("http://evil")',
                            email="a@example.com")

    text = "".join(rows_as_csv(customers(business)))

    assert "'=HYPERLINK" in text
    assert ',=HYPERLINK' not in text
