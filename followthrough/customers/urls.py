from django.urls import path

from followthrough.customers import views

urlpatterns = [
    path("new/", views.customer_new, name="customer_new"),
    path("<str:public_id>/edit/", views.customer_edit, name="customer_edit"),
]
