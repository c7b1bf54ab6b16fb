from django.urls import include, path

from followthrough.agenda import feed, outreach, views

urlpatterns = [
    path("", include("followthrough.agenda.print_views")),
    path("", views.today, name="home"),
    path("today/", views.today, name="today"),
    path("week/", views.week, name="week"),
    path("today/checklist/hide/", views.checklist_dismiss, name="checklist_dismiss"),
    path("touches/<str:public_id>/outcome/", views.touch_outcome, name="touch_outcome"),
    path("touches/<str:public_id>/assign/", views.touch_assign, name="touch_assign"),
    path("touches/<str:public_id>/else/", views.touch_else, name="touch_else"),
    path("touches/<str:public_id>/book/", views.touch_book, name="touch_book"),
    path("touches/<str:public_id>/approve/", views.touch_approve, name="touch_approve"),
    path("promises/", views.promise_list, name="promise_list"),
    path("promises/<str:public_id>/kept/", views.promise_kept, name="promise_kept"),
    path("promises/<str:public_id>/broken/", views.promise_broken, name="promise_broken"),
    path("cards/", views.batch_list, name="batch_list"),
    path("cards/new/", views.batch_new, name="batch_new"),
    path("cards/<str:public_id>/", views.batch_detail, name="batch_detail"),
    path("cards/<str:public_id>/cards.pdf", views.batch_pdf, name="batch_pdf"),
    path("cards/<str:public_id>/labels.pdf", views.batch_labels, name="batch_labels"),
    path("cards/<str:public_id>/postcards.pdf", views.batch_postcards, name="batch_postcards"),
    path("cards/<str:public_id>/posted/", views.batch_posted, name="batch_posted"),
    path("reminders/", views.reminder_list, name="reminder_list"),
    path("reminders/<str:public_id>/stop/", views.service_stop, name="service_stop"),
    path("news/", outreach.news_share, name="news_share"),
    path("news/for/<str:public_id>/", outreach.customer_news, name="customer_news"),
    path("visits/", outreach.visit_plan, name="visit_plan"),
    path("visits/<str:public_id>/plan/", outreach.customer_visit, name="customer_visit"),
    path("settings/calendar/", views.settings_calendar, name="settings_calendar"),
    path("cal/<str:token>.ics", feed.calendar_feed, name="calendar_feed"),
]
