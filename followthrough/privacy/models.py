from django.conf import settings
from django.db import models
from django.utils import timezone

from followthrough.customers.models import Customer
from followthrough.tenants.models import Business


class Erasure(models.Model):
    """Marks a customer whose personal data was erased. The row itself stays (anonymised) so
    the business's counts and the delta still add up."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="erasure")
    erased_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    erased_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Erased {self.erased_at:%Y-%m-%d}"
