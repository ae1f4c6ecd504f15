from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.core.validators import validate_email

from .models import Invitation, Role, Team


class TeamForm(forms.ModelForm):
    class Meta:
        model = Team
        fields = ["name"]
        labels = {"name": "Team name"}


class InviteForm(forms.Form):
    who = forms.CharField(
        label="Username or email",
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text="They join when they accept: in the studio if they have an account, or by "
        "the link we email, with which they can also sign up.",
    )
    role = forms.ChoiceField(label="Role", choices=Role.choices, initial=Role.EDITOR)

    def clean_who(self) -> str:
        who = self.cleaned_data["who"].strip()
        if "@" in who:
            validate_email(who)  # "Enter a valid email address."
        return who


class InvitationSignupForm(UserCreationForm):
    """An account for the invitation's email address: only a username and a password to pick."""

    def __init__(self, *args, invitation: Invitation, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The password must not resemble the email either (UserAttributeSimilarityValidator).
        self.instance.email = invitation.email
