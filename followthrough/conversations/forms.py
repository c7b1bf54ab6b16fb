import re

from django import forms

from followthrough.channels import kinds
from followthrough.conversations.models import BODY_LIMIT, LOOPBACK, Mailbox
from followthrough.text import ControlFreeForm


class ReplyForm(ControlFreeForm, forms.Form):
    channel = forms.ChoiceField(label="Send by", choices=[(kinds.EMAIL, "Email"),
                                                          (kinds.SMS, "Text")])
    subject = forms.CharField(label="Subject (email)", max_length=300, required=False)
    body = forms.CharField(label="Your reply", max_length=BODY_LIMIT,
                           widget=forms.Textarea(attrs={"rows": 4}))
    # The inbound message this answers, when there is one (its public id).
    answering = forms.CharField(required=False, max_length=32, widget=forms.HiddenInput)


class AttachForm(ControlFreeForm, forms.Form):
    message = forms.CharField(max_length=32, widget=forms.HiddenInput)
    customer = forms.CharField(label="Whose is it? Name, email or phone", max_length=254)


_HOST = re.compile(r"^[A-Za-z0-9.:\[\]-]{1,253}$")


class MailboxForm(ControlFreeForm, forms.ModelForm):
    """The business's own mailbox. The password is written, never shown: left blank, the
    one saved before stays."""

    password = forms.CharField(
        label="Password", required=False, strip=False, max_length=500,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Gmail, Outlook and iCloud want an app password here (see below). "
                  "Leave it empty to keep the one saved.")

    class Meta:
        model = Mailbox
        fields = ["host", "port", "security", "username", "folder", "enabled"]
        labels = {"host": "Mail server (IMAP)", "port": "Port", "security": "Security",
                  "username": "User name", "folder": "Folder",
                  "enabled": "Check this mailbox for replies"}
        help_texts = {
            "host": "For example imap.gmail.com or outlook.office365.com.",
            "username": "Usually the whole email address.",
            "folder": "Where the replies land. Most mail servers call the inbox INBOX.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.password:
            password = self.fields["password"]
            password.required = True
            password.error_messages["required"] = "Type the mailbox's password."
            password.help_text = ("Gmail, Outlook and iCloud want an app password here "
                                  "(see below).")

    def clean_host(self) -> str:
        host = self.cleaned_data["host"].strip().lower()
        if not _HOST.match(host):
            raise forms.ValidationError("Type the server's name only, like imap.gmail.com.")
        return host

    def clean_port(self) -> int:
        port = self.cleaned_data["port"]
        if not 1 <= port <= 65535:
            raise forms.ValidationError("A port is a number from 1 to 65535.")
        return port

    def clean_folder(self) -> str:
        return self.cleaned_data["folder"].strip() or "INBOX"

    def clean(self):
        data = super().clean()
        host = data.get("host", "")
        if data.get("security") == Mailbox.PLAIN and host and host not in LOOPBACK:
            self.add_error("security", "Without encryption the password would cross the "
                                       "network in the clear: choose SSL/TLS or STARTTLS.")
        if not data.get("password") and not self.instance.password:
            self.add_error("password", "Type the mailbox's password.")
        return data
