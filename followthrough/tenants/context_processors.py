from django.conf import settings


def business(request):
    return {
        "business": getattr(request, "business", None),
        "membership": getattr(request, "membership", None),
        "outbox_enabled": settings.OUTBOX_ENABLED,
        "demo_mode": settings.DEMO_MODE,
    }
