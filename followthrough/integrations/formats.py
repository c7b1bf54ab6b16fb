"""The column layouts Followthrough recognises, and how each maps onto its fields.

A format is recognised by a few columns only it has; its aliases then say which column
feeds which field. Anything a format does not name falls back to the generic aliases, and
the person importing can change every choice before anything is saved. docs/integrations.md
documents each mapping."""

CUSTOMER_TARGETS = [
    ("external_id", "Your id for the customer"),
    ("name", "Full name"),
    ("first_name", "First name"),
    ("last_name", "Last name"),
    ("company", "Company"),
    ("email", "Email"),
    ("phone", "Phone"),
    ("address1", "Street address"),
    ("address2", "Address line 2"),
    ("city", "City"),
    ("region", "State or region"),
    ("postcode", "Postcode or ZIP"),
    ("country", "Country"),
    ("tags", "Tags"),
    ("notes", "Notes"),
    ("email_marketing", "Agreed to marketing email"),
    ("sms_marketing", "Agreed to marketing texts"),
]
SALES_TARGETS = [
    ("order_id", "Order, job or invoice id"),
    ("won_at", "Sale date"),
    ("delivered_at", "Delivered or completed date"),
    ("description", "What it was"),
    ("value", "Value"),
    ("kind", "Kind (job, order…)"),
    ("playbook", "Playbook slug"),
]

GENERIC = {
    "external_id": ["external id", "external_id", "customer id", "id", "client id"],
    "name": ["name", "full name", "customer name", "customer", "display name", "contact name"],
    "first_name": ["first name", "first_name", "firstname", "given name"],
    "last_name": ["last name", "last_name", "lastname", "surname", "family name"],
    "company": ["company", "company name", "organisation", "organization", "business"],
    "email": ["email", "email address", "e-mail", "e-mail address", "emails", "e-mails"],
    "phone": ["phone", "phone number", "mobile", "mobile phone", "telephone", "tel"],
    "address1": ["address", "street", "street address", "address1", "address 1",
                 "address line 1"],
    "address2": ["address2", "address 2", "address line 2"],
    "city": ["city", "town"],
    "region": ["state", "province", "region", "county", "state/region"],
    "postcode": ["zip", "zip code", "postcode", "postal code", "post code"],
    "country": ["country", "country/region"],
    "tags": ["tags", "tag", "labels"],
    "notes": ["notes", "note", "memo", "comments"],
    "email_marketing": ["accepts marketing", "email marketing", "marketing email",
                        "newsletter", "subscribed"],
    "sms_marketing": ["accepts sms marketing", "sms marketing", "marketing texts"],
    "order_id": ["order id", "order", "order number", "job id", "job number", "invoice",
                 "invoice number", "sale id", "engagement id"],
    "won_at": ["date", "sale date", "order date", "won at", "won_at", "created at",
               "job date"],
    "delivered_at": ["delivered at", "delivered_at", "delivered", "completed", "completed at",
                     "fulfilled at"],
    "description": ["description", "item", "product", "service", "title", "lineitem name"],
    "value": ["value", "total", "amount", "price", "total price"],
    "kind": ["kind", "type"],
    "playbook": ["playbook"],
}

FORMATS = {
    "shopify": {
        "label": "Shopify customers export",
        "signature": [{"first name", "last name", "email", "accepts email marketing"},
                      {"first name", "last name", "email", "accepts marketing",
                       "total orders"}],
        "aliases": {
            "external_id": ["customer id"],
            "first_name": ["first name"], "last_name": ["last name"],
            "company": ["default address company", "company"],
            "email": ["email"],
            "phone": ["phone", "default address phone"],
            "address1": ["default address address1", "address1"],
            "address2": ["default address address2", "address2"],
            "city": ["default address city", "city"],
            "region": ["default address province code", "province code", "province"],
            "postcode": ["default address zip", "zip"],
            "country": ["default address country code", "country code", "country"],
            "tags": ["tags"], "notes": ["note"],
            "email_marketing": ["accepts email marketing", "accepts marketing"],
            "sms_marketing": ["accepts sms marketing"],
        },
    },
    "square": {
        "label": "Square customers export",
        "signature": [{"square customer id"}],
        "aliases": {
            "external_id": ["square customer id"],
            "first_name": ["first name"], "last_name": ["last name"],
            "company": ["company name"], "email": ["email address"],
            "phone": ["phone number"], "address1": ["street address 1"],
            "address2": ["street address 2"], "city": ["city"], "region": ["state"],
            "postcode": ["postal code"], "notes": ["memo"], "tags": ["groups"],
            "email_marketing": ["email subscription status"],
        },
    },
    "quickbooks": {
        "label": "QuickBooks customer list",
        "signature": [{"customer", "main email"}, {"customer full name"},
                      {"name", "company name", "open balance"}],
        "aliases": {
            "name": ["customer full name", "customer", "name", "display name"],
            "company": ["company", "company name"],
            "first_name": ["first name"], "last_name": ["last name"],
            "email": ["main email", "email"],
            "phone": ["main phone", "mobile", "phone"],
            "address1": ["bill to 1", "billing address line 1", "street address"],
            "address2": ["bill to 2", "billing address line 2"],
            "city": ["bill to city", "billing address city", "city"],
            "region": ["bill to state", "billing address state", "state"],
            "postcode": ["bill to zip", "billing address postal code", "zip"],
            "country": ["bill to country", "billing address country", "country"],
            "notes": ["note", "notes"],
        },
    },
    "jobber": {
        "label": "Jobber clients export",
        "signature": [{"j-id", "display name"}, {"display name", "e-mails"}],
        "aliases": {
            "external_id": ["j-id"],
            "name": ["display name"], "first_name": ["first name"],
            "last_name": ["last name"], "company": ["company name"],
            "email": ["e-mails", "email"],
            "phone": ["mobile phone #s", "main phone #s", "home phone #s", "work phone #s"],
            "address1": ["billing street 1", "billing street"],
            "address2": ["billing street 2"], "city": ["billing city"],
            "region": ["billing state"], "postcode": ["billing zip code", "billing zip"],
            "country": ["billing country"], "tags": ["tags"],
        },
    },
    "hubspot": {
        "label": "HubSpot contacts export",
        "signature": [{"record id", "first name", "last name"}, {"record id", "email"}],
        "aliases": {
            "external_id": ["record id"],
            "first_name": ["first name"], "last_name": ["last name"],
            "company": ["company name", "associated company"],
            "email": ["email"], "phone": ["mobile phone number", "phone number"],
            "address1": ["street address"], "city": ["city"],
            "region": ["state/region"], "postcode": ["postal code"],
            "country": ["country/region"],
            "email_marketing": ["marketing contact status"],
        },
    },
}
FORMAT_LABELS = {name: spec["label"] for name, spec in FORMATS.items()}
FORMAT_LABELS["generic"] = "Generic spreadsheet"


def _norm(header: str) -> str:
    return " ".join(header.strip().lower().split())


def detect(headers: list[str]) -> str:
    present = {_norm(h) for h in headers}
    for name, spec in FORMATS.items():
        if any(signature <= present for signature in spec["signature"]):
            return name
    return "generic"


def targets(kind: str) -> list[tuple[str, str]]:
    return CUSTOMER_TARGETS + (SALES_TARGETS if kind == "sales" else [])


def auto_mapping(headers: list[str], kind: str, format_name: str | None = None) -> dict:
    """{target: header} for every target a column was found for."""
    format_name = format_name or detect(headers)
    by_norm: dict[str, str] = {}
    for header in headers:
        by_norm.setdefault(_norm(header), header)
    own = FORMATS.get(format_name, {}).get("aliases", {})
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for target, _label in targets(kind):
        for alias in [*own.get(target, []), *GENERIC.get(target, [])]:
            header = by_norm.get(alias)
            if header is not None and header not in used:
                mapping[target] = header
                used.add(header)
                break
    # A full name column beats first + last only when a format has no name of its own.
    if "name" in mapping and ("first_name" in mapping or "last_name" in mapping) \
            and "name" not in own:
        used.discard(mapping.pop("name"))
    return mapping
