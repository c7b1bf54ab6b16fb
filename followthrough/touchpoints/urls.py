from django.urls import path

from followthrough.touchpoints import views

urlpatterns = [
    path("", views.today, name="home"),
    path("today/", views.today, name="today"),
    path("touches/<str:public_id>/done/", views.touch_done, name="touch_done"),
    path("touches/<str:public_id>/skip/", views.touch_skip, name="touch_skip"),
    path("touches/<str:public_id>/snooze/", views.touch_snooze, name="touch_snooze"),
    path("touches/<str:public_id>/cancel/", views.touch_cancel, name="touch_cancel"),
    path("touches/<str:public_id>/preview/", views.touch_preview, name="touch_preview"),
]
