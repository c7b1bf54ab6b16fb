from django import forms

from followthrough.channels import kinds
from followthrough.conversations.models import BODY_LIMIT
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
