from django.urls import path

from followthrough.insights import views

# "playbook_add_element" starts with "playbook_", so tests/test_isolation.py checks it
# against an outsider with a playbook of another business.
urlpatterns = [
    path("", views.insights, name="insights"),
    path("building/", views.build_progress, name="insights_building"),
    path("export/<slug:table>.csv", views.export_csv, name="insights_export"),
    path("playbooks/<str:public_id>/add-element/", views.add_element,
         name="playbook_add_element"),
]
