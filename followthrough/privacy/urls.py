from django.urls import path

from followthrough.privacy import views

urlpatterns = [
    path("customers/<str:public_id>/export/", views.customer_export, name="customer_export"),
    path("customers/<str:public_id>/erase/", views.customer_erase, name="customer_erase"),
    path("customers/<str:public_id>/do-not-contact/", views.customer_suppression,
         name="customer_suppression"),
]
