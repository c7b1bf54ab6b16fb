from django.urls import path

from followthrough.customers import views

urlpatterns = [
    path("", views.customer_list, name="customer_list"),
    path("new/", views.customer_new, name="customer_new"),
    path("sales/new/", views.sale_new, name="sale_new"),
    path("engagements/<str:public_id>/", views.engagement_detail, name="engagement_detail"),
    path("engagements/<str:public_id>/events/", views.engagement_event, name="engagement_event"),
    path("<str:public_id>/", views.customer_detail, name="customer_detail"),
    path("<str:public_id>/edit/", views.customer_edit, name="customer_edit"),
]
