"""The channels a touchpoint can use. Automated ones are sent by the worker;
personal ones land on the agenda for a person to do."""

EMAIL = "email"
SMS = "sms"
CALL = "call"
CARD = "card"
VISIT = "visit"
SOCIAL = "social"
CHAT = "chat"

CHOICES = [
    (EMAIL, "Email"),
    (SMS, "Text message"),
    (CALL, "Phone call"),
    (CARD, "Hand-written card"),
    (VISIT, "Visit"),
    (SOCIAL, "Social message"),
    (CHAT, "Chat message"),
]
AUTOMATED = frozenset({EMAIL, SMS})
PERSONAL = frozenset({CALL, CARD, VISIT, SOCIAL, CHAT})
LABELS = dict(CHOICES)


def is_automated(channel: str) -> bool:
    return channel in AUTOMATED
