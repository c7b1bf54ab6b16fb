from django.urls import path

from followthrough.touchpoints import engagement_views, health, views

urlpatterns = [
    # For monitoring and load balancers: no sign-in, no tenant data (docs/operations.md).
    path("healthz", health.healthz, name="healthz"),
    # Today and the week live in agenda, which can show promises and feedback too.
    path("touches/<str:public_id>/done/", views.touch_done, name="touch_done"),
    path("touches/<str:public_id>/skip/", views.touch_skip, name="touch_skip"),
    path("touches/<str:public_id>/snooze/", views.touch_snooze, name="touch_snooze"),
    path("touches/<str:public_id>/cancel/", views.touch_cancel, name="touch_cancel"),
    path("touches/<str:public_id>/undo/", views.touch_undo, name="touch_undo"),
    path("touches/<str:public_id>/preview/", views.touch_preview, name="touch_preview"),
    # These pages drive the engagement lifecycle, so they live here, but their paths stay
    # under /customers/ where people look for them.
    path("customers/sales/new/", engagement_views.sale_new, name="sale_new"),
    path("customers/engagements/<str:public_id>/", engagement_views.engagement_detail,
         name="engagement_detail"),
    path("customers/engagements/<str:public_id>/events/", engagement_views.engagement_event,
         name="engagement_event"),
    path("customers/<str:public_id>/", engagement_views.customer_detail, name="customer_detail"),
]
