from followthrough.customers.templatetags.customer_tags import phone_display


def test_it_groups_an_e164_number_for_reading():
    assert phone_display("+442079460001") == "+44 20 7946 0001"


def test_it_leaves_text_it_cannot_parse_alone():
    assert phone_display("call the office") == "call the office"
