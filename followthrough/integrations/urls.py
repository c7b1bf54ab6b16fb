from django.urls import include, path

from followthrough.api import views as api_views
from followthrough.conversations import views as conversations
from followthrough.integrations import inbound, sms, views, webhook_auth

urlpatterns = [
    path("settings/api/", api_views.settings_api, name="settings_api"),
    path("settings/api/<str:public_id>/revoke", api_views.apikey_revoke, name="apikey_revoke"),
    path("settings/integrations/", views.settings_page, name="settings_integrations"),
    path("settings/integrations/webhooks/<str:public_id>/", views.webhook_detail,
         name="webhook_detail"),
    path("settings/integrations/webhooks/<str:public_id>/delete", views.webhook_delete,
         name="webhook_delete"),
    path("settings/integrations/inbound/<str:public_id>/delete", views.inbound_delete,
         name="inbound_delete"),
    path("integrations/import/", views.import_upload, name="import_upload"),
    path("integrations/import/<str:public_id>/", views.import_detail, name="import_detail"),
    path("integrations/import/<str:public_id>/start", views.import_start, name="import_start"),
    path("integrations/import/<str:public_id>/progress", views.import_progress,
         name="import_progress"),
    path("integrations/export/<slug:kind>.csv", views.export, name="export"),
    path("integrations/sms/segments", views.sms_segments, name="sms_segments"),
    path("integrations/inbound/<str:token>", inbound.receive, name="inbound_receive"),
    path("integrations/sms/inbound", webhook_auth.gate(sms.inbound, webhook_auth.sms_problem),
         name="sms_inbound"),
    path("integrations/sms/status", webhook_auth.gate(sms.status, webhook_auth.sms_problem),
         name="sms_status"),
    path("integrations/anymail/", include((webhook_auth.tracking_patterns()
                                           + webhook_auth.inbound_patterns(), "anymail"))),
    path("customers/<str:public_id>/reply", conversations.customer_reply,
         name="customer_reply"),
    path("conversations/unmatched/", conversations.unmatched, name="unmatched"),
    path("conversations/files/<str:public_id>", conversations.attachment,
         name="conversation_attachment"),
    path("conversations/unmatched/attach", conversations.attach, name="unmatched_attach"),
    path("settings/mailbox/", conversations.mailbox_settings, name="mailbox_settings"),
]
