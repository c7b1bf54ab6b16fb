from django.urls import path

from followthrough.feedback import public_views as public
from followthrough.feedback import views

urlpatterns = [
    path("feedback/", views.feedback_list, name="feedback_list"),
    path("feedback/incidents/", views.incident_list, name="incident_list"),
    path("feedback/incidents/<str:public_id>/resolve/", views.incident_resolve,
         name="incident_resolve"),
    path("feedback/incidents/<str:public_id>/undo/", views.incident_undo, name="incident_undo"),
    path("feedback/testimonials/", views.testimonial_list, name="testimonial_list"),
    path("feedback/testimonials.html", views.testimonial_export_html,
         name="testimonial_export_html"),
    path("feedback/testimonials.csv", views.testimonial_export_csv,
         name="testimonial_export_csv"),
    path("feedback/testimonials/<str:public_id>/", views.testimonial_decide,
         name="testimonial_decide"),
    path("feedback/referrals/", views.referral_list, name="referral_list"),
    path("feedback/subscribers/", views.subscriber_list, name="subscriber_list"),
    path("feedback/subscribers.csv", views.subscriber_export_csv, name="subscriber_export_csv"),
    path("customers/<str:public_id>/complaint/", views.customer_complaint,
         name="customer_complaint"),
    path("customers/<str:public_id>/referral-code/", views.customer_referral_code,
         name="customer_referral_code"),
    path("settings/reviews/", views.settings_reviews, name="settings_reviews"),
    # Customer-facing: no sign-in; the 128-bit link token (or referral code) is the key.
    # The survey itself (/s/<token>) is the first route in followthrough/urls.py.
    path("r/<str:token>", public.review, name="review"),
    path("r/<str:token>/<str:site>", public.review, name="review_site"),
    path("social/<str:token>", public.social, name="social"),
    path("n/confirm/<str:token>", public.subscribe_confirm, name="subscribe_confirm"),
    path("n/<str:token>", public.subscribe, name="subscribe"),
    path("ref/<str:code>", public.referral_landing, name="referral_landing"),
]
