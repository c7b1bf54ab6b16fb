from django.urls import path

from followthrough.playbooks import views

# Route names start with "playbook_" or "step_": tests/test_isolation.py maps that prefix to
# the kind of object it makes for the outsider checks.
urlpatterns = [
    path("", views.playbook_list, name="playbook_list"),
    path("new/", views.playbook_new, name="playbook_new"),
    path("install/", views.playbook_install, name="playbook_install"),
    path("steps/<str:public_id>/edit/", views.step_edit, name="step_edit"),
    path("steps/<str:public_id>/preview/", views.step_preview, name="step_preview"),
    path("steps/<str:public_id>/test/", views.step_send_test, name="step_send_test"),
    path("steps/<str:public_id>/preview/email/", views.step_preview_email,
         name="step_preview_email"),
    path("steps/<str:public_id>/delete/", views.step_delete, name="step_delete"),
    path("steps/<str:public_id>/up/", views.step_move_up, name="step_move_up"),
    path("steps/<str:public_id>/down/", views.step_move_down, name="step_move_down"),
    path("<str:public_id>/", views.playbook_detail, name="playbook_detail"),
    path("<str:public_id>/edit/", views.playbook_edit, name="playbook_edit"),
    path("<str:public_id>/toggle/", views.playbook_toggle, name="playbook_toggle"),
    path("<str:public_id>/steps/new/", views.step_new, name="step_new"),
]
