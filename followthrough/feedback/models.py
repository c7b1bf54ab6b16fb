from django.db import models
from django.utils import timezone

from followthrough.customers.models import Customer, Engagement
from followthrough.tenants.models import Business
from followthrough.tokens import new_public_id
from followthrough.touchpoints.models import Touchpoint

DEFAULT_QUESTIONS = {
    "q_nps": "How likely are you to recommend us to a friend?",
    "q_csat": "How satisfied are you with this job?",
    "q_went_well": "What went well?",
    "q_improve": "What could we improve, in the work itself or in how we sold and served you?",
    "q_anything_else": "What else can we do for you?",
    "q_testimonial": "May we quote your words on our website?",
}


def _question(key: str) -> models.CharField:
    return models.CharField(max_length=200, default=DEFAULT_QUESTIONS[key])


class FeedbackSettings(models.Model):
    """Per business: where reviews and follows go, and the wording of the survey."""

    business = models.OneToOneField(Business, on_delete=models.CASCADE, related_name="+")
    google_review_url = models.URLField(blank=True, verbose_name="Google review link")
    facebook_review_url = models.URLField(blank=True, verbose_name="Facebook review link")
    yelp_review_url = models.URLField(blank=True, verbose_name="Yelp review link")
    other_review_url = models.URLField(blank=True, verbose_name="Another review site")
    facebook_url = models.URLField(blank=True, verbose_name="Facebook page")
    instagram_url = models.URLField(blank=True, verbose_name="Instagram")
    linkedin_url = models.URLField(blank=True, verbose_name="LinkedIn")
    other_social_url = models.URLField(blank=True, verbose_name="Another profile")
    q_nps = _question("q_nps")
    q_csat = _question("q_csat")
    q_went_well = _question("q_went_well")
    q_improve = _question("q_improve")
    q_anything_else = _question("q_anything_else")
    q_testimonial = _question("q_testimonial")

    REVIEW_SITES = {"google": "Google", "facebook": "Facebook", "yelp": "Yelp", "other": "Reviews"}
    SOCIAL_SITES = {"facebook_url": "Facebook", "instagram_url": "Instagram",
                    "linkedin_url": "LinkedIn", "other_social_url": "More from us"}

    def review_links(self) -> dict[str, tuple[str, str]]:
        """key → (label, url) for every review site that is set."""
        links = {k: (label, getattr(self, f"{k}_review_url")) for k, label in
                 self.REVIEW_SITES.items()}
        return {k: pair for k, pair in links.items() if pair[1]}

    def social_links(self) -> list[tuple[str, str]]:
        return [(label, getattr(self, f)) for f, label in self.SOCIAL_SITES.items()
                if getattr(self, f)]


class Quote:
    NO = ""
    FULL = "full"
    INITIALS = "initials"
    ANONYMOUS = "anonymous"
    CHOICES = [(NO, "No, please don't quote me"), (FULL, "Yes, with my full name"),
               (INITIALS, "Yes, with my initials"), (ANONYMOUS, "Yes, without my name")]


class SurveyResponse(models.Model):
    PENDING, APPROVED, DECLINED = "pending", "approved", "declined"
    TESTIMONIAL_CHOICES = [(PENDING, "Waiting for you"), (APPROVED, "Approved"),
                           (DECLINED, "Not used")]

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="responses")
    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="+")
    touchpoint = models.ForeignKey(Touchpoint, on_delete=models.SET_NULL, null=True,
                                   related_name="+")
    public_id = models.CharField(max_length=32, unique=True, default=new_public_id,
                                 editable=False)
    nps = models.PositiveSmallIntegerField(null=True, blank=True)
    csat = models.PositiveSmallIntegerField(null=True, blank=True)
    went_well = models.TextField(max_length=2000, blank=True)
    improve = models.TextField(max_length=2000, blank=True)
    anything_else = models.TextField(max_length=2000, blank=True)
    quote_as = models.CharField(max_length=10, choices=Quote.CHOICES, blank=True)
    testimonial_status = models.CharField(max_length=10, choices=TESTIMONIAL_CHOICES,
                                          default=PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["business", "-created_at"])]

    def __str__(self) -> str:
        return f"Response from {self.customer_id} ({self.nps}/{self.csat})"

    @property
    def quote_name(self) -> str:
        name = self.customer.name.strip()
        if self.quote_as == Quote.FULL:
            return name
        if self.quote_as == Quote.INITIALS:
            return " ".join(f"{part[0]}." for part in name.split())
        return "A customer"

    @property
    def quote_text(self) -> str:
        return self.went_well.strip()


class Incident(models.Model):
    NPS, CSAT, COMPLAINT = "nps", "csat", "complaint"
    REASONS = [(NPS, "Low recommend score"), (CSAT, "Low satisfaction"),
               (COMPLAINT, "Complaint")]

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="incidents")
    response = models.ForeignKey(SurveyResponse, on_delete=models.SET_NULL, null=True,
                                 blank=True, related_name="incidents")
    public_id = models.CharField(max_length=32, unique=True, default=new_public_id,
                                 editable=False)
    reason = models.CharField(max_length=10, choices=REASONS)
    summary = models.TextField(max_length=2000, blank=True)
    opened_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_note = models.TextField(max_length=2000, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["customer"], condition=models.Q(resolved_at=None),
                                    name="one_open_incident_per_customer")
        ]

    def __str__(self) -> str:
        return f"Incident for {self.customer_id} ({self.reason})"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None

    @property
    def time_to_resolve(self):
        return self.resolved_at - self.opened_at if self.resolved_at else None


class ReviewClick(models.Model):
    """One counted click on a tracked review link (scanners and HEAD requests excluded)."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    touchpoint = models.ForeignKey(Touchpoint, on_delete=models.CASCADE, related_name="+")
    site = models.CharField(max_length=20)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["business", "site"])]
