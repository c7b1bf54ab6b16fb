from django.contrib.auth import views as auth_views
from django.urls import path

from followthrough.tenants import account, members, views
from followthrough.tenants.password_reset import QueuedPasswordResetForm

RESET_EMAIL = "registration/password_reset_email.txt"
RESET_SUBJECT = "registration/password_reset_subject.txt"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("login/code/", views.login_verify, name="login_verify"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("switch/", views.switch_business, name="switch_business"),
    path("settings/", views.business_settings, name="settings"),
    path("settings/audit/", views.audit_log, name="audit_log"),
    path("settings/members/", members.members, name="members"),
    path("settings/members/<str:public_id>/role/", members.member_role, name="member_role"),
    path("settings/members/<str:public_id>/remove/", members.member_remove,
         name="member_remove"),
    path("settings/invitations/<str:public_id>/revoke/", members.invitation_revoke,
         name="invitation_revoke"),
    path("invite/<str:token>/", members.invitation_accept, name="invitation_accept"),
    path("account/", account.account, name="account"),
    path("account/two-step/off/", account.two_factor_off, name="two_factor_off"),
    path("password/reset/", auth_views.PasswordResetView.as_view(
        email_template_name=RESET_EMAIL, subject_template_name=RESET_SUBJECT,
        form_class=QueuedPasswordResetForm,
    ), name="password_reset"),
    path("password/reset/sent/", auth_views.PasswordResetDoneView.as_view(),
         name="password_reset_done"),
    path("password/reset/<uidb64>/<token>/", auth_views.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("password/reset/done/", auth_views.PasswordResetCompleteView.as_view(),
         name="password_reset_complete"),
]
