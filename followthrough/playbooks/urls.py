from django.urls import path

from followthrough.playbooks import views

urlpatterns = [
    path("", views.playbook_list, name="playbook_list"),
    path("steps/<str:public_id>/edit/", views.step_edit, name="step_edit"),
    path("steps/<str:public_id>/preview/", views.step_preview, name="step_preview"),
    path("<str:public_id>/", views.playbook_detail, name="playbook_detail"),
    path("<str:public_id>/toggle/", views.playbook_toggle, name="playbook_toggle"),
    path("<str:public_id>/steps/new/", views.step_new, name="step_new"),
]
