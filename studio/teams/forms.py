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
    """An account for whoever holds an email invitation's link: the address starts as the
    invited one. Whether an account already uses it is told only when the form is sent."""

    email = forms.EmailField(label="Email", max_length=254)
    field_order = ["username", "email", "password1", "password2"]

    def __init__(self, *args, invitation: Invitation, **kwargs) -> None:
        super().__init__(*args, initial={"email": invitation.email}, **kwargs)

    def clean(self):
        cleaned = super().clean()
        # The password must not resemble the email either (UserAttributeSimilarityValidator).
        self.instance.email = self.cleaned_data.get("email", "")
        return cleaned
