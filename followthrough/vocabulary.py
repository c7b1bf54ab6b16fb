"""Stages, elements, purposes and anchor events: the words of the glossary."""

WON, STARTED, DELIVERED, CLOSED, CANCELLED = "won", "started", "delivered", "closed", "cancelled"
LIFECYCLE_EVENTS = [WON, STARTED, DELIVERED, CLOSED, CANCELLED]
ANCHOR_CHOICES = [(WON, "Won"), (STARTED, "Started"), (DELIVERED, "Delivered")]
UNTIL_CHOICES = [(STARTED, "Started"), (DELIVERED, "Delivered"), (CLOSED, "Closed")]

STAGE_CHOICES = [(1, "1 · Won"), (2, "2 · Learning"), (3, "3 · Delivery"), (4, "4 · After")]
STAGE_NAMES = {1: "Won", 2: "Learning", 3: "Delivery", 4: "After"}

THANK_YOU = "thank_you"
CHECK_IN = "check_in"
FEEDBACK = "feedback"
REVIEW = "review"
SOCIAL_INVITE = "social_invite"
SUBSCRIBE_INVITE = "subscribe_invite"
REFERRAL = "referral"
TESTIMONIAL = "testimonial"
ONBOARDING = "onboarding"
PROGRESS_UPDATE = "progress_update"
MAINTENANCE = "maintenance"
OTHER = "other"
ELEMENT_CHOICES = [
    (THANK_YOU, "Thank-you"),
    (CHECK_IN, "Check-in"),
    (FEEDBACK, "Feedback"),
    (REVIEW, "Review"),
    (SOCIAL_INVITE, "Social invite"),
    (SUBSCRIBE_INVITE, "Subscribe invite"),
    (REFERRAL, "Referral"),
    (TESTIMONIAL, "Testimonial"),
    (ONBOARDING, "Onboarding"),
    (PROGRESS_UPDATE, "Progress update"),
    (MAINTENANCE, "Maintenance"),
    (OTHER, "Other"),
]
# The five things that should happen after every delivery; the delta counts the missing ones.
POST_SERVICE_ELEMENTS = (CHECK_IN, FEEDBACK, THANK_YOU, SOCIAL_INVITE, SUBSCRIBE_INVITE)

TRANSACTIONAL = "transactional"
RELATIONSHIP = "relationship"
MARKETING = "marketing"
PURPOSE_CHOICES = [
    (TRANSACTIONAL, "Transactional"),
    (RELATIONSHIP, "Relationship"),
    (MARKETING, "Marketing"),
]
