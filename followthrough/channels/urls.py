from django.urls import path

from followthrough.channels import views

urlpatterns = [
    path("", views.outbox_list, name="outbox_list"),
    path("<str:public_id>/", views.outbox_message, name="outbox_message"),
    path("<str:public_id>/html/", views.outbox_message_html, name="outbox_message_html"),
    path("<str:public_id>/test/", views.outbox_message_test, name="outbox_message_test"),
]
