from django.urls import include, path

from followthrough.channels import sms_settings
from followthrough.customers.public_views import unsubscribe
from followthrough.feedback.public_views import survey
from followthrough.lists import views as lists

urlpatterns = [
    # The page customers load most, first: found without trying some fifty patterns.
    path("s/<str:token>", survey, name="survey"),
    path("", include("followthrough.tenants.urls")),
    # customers first: its fixed paths (new/) must win over /customers/<id>/ in touchpoints.
    path("customers/", lists.customer_list, name="customer_list"),
    path("customers/", include("followthrough.customers.urls")),
    # Named customers:job_list: jobs belong to customers, though the page lives in lists.
    path("jobs/", include(([path("", lists.job_list, name="job_list")], "customers"))),
    path("", include("followthrough.touchpoints.urls")),
    path("playbooks/", include("followthrough.playbooks.urls")),
    path("outbox/", include("followthrough.channels.urls")),
    path("settings/texts/", sms_settings.sms_settings, name="settings_sms"),
    path("settings/texts/test/", sms_settings.sms_test, name="settings_sms_test"),
    path("", include("followthrough.feedback.urls")),
    path("", include("followthrough.agenda.urls")),
    path("search/", include("followthrough.search.urls")),
    path("insights/", include("followthrough.insights.urls")),
    path("", include("followthrough.integrations.urls")),
    path("", include("followthrough.privacy.urls")),
    path("api/v1/", include("followthrough.api.urls")),
    path("u/<str:token>", unsubscribe, name="unsubscribe"),
]

# A friendly page that shows the request id the log line carries (followthrough/errors.py).
handler500 = "followthrough.errors.server_error"
