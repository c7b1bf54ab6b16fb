from django import template

from followthrough.customers.consent import suppressed_channels

register = template.Library()


@register.simple_tag
def do_not_contact_channels(customer) -> list[str]:
    """The channels on which the customer's address is on the do-not-contact list."""
    return suppressed_channels(customer)
