"""The accounts slice's forms (crm.lib.forms): sign-in, language, password reset and change, profile, API token."""

from __future__ import annotations

from crm.features.accounts.services import password_problem
from crm.lib.forms import Boolean, Form, Text
from crm.lib.i18n import N_
from crm.lib.i18n import gettext as _

ADDRESS = 2000  # a "next" path kept for after the form


class LoginForm(Form):
    email = Text(required=True, max_length=320, required_message=N_("Enter your email."))
    password = Text(required=True, max_length=1000, strip=False, required_message=N_("Enter your password."))
    next = Text(max_length=ADDRESS)


class LanguageForm(Form):
    lang = Text(max_length=20)
    next = Text(max_length=ADDRESS)


class ForgotForm(Form):
    email = Text(
        required=True,
        max_length=320,
        required_message=N_("Enter your email."),
        validate=lambda v: None if "@" in v else N_("Enter your email."),
        message=N_("Enter your email."),
    )


class NewPasswordForm(Form):
    """A new password typed twice; ``check_for`` applies the rules that need the account's address."""

    password = Text(max_length=1000, strip=False)
    password2 = Text(max_length=1000, strip=False)

    def check_for(self, email: str) -> None:
        problem = password_problem(self.password, email)
        if problem:
            self.errors.add("password", _(problem))
        elif self.password != self.password2:
            self.errors.add("password2", _("The passwords differ."))


class ChangePasswordForm(NewPasswordForm):
    current = Text(max_length=1000, strip=False)


class ProfileForm(Form):
    name = Text(max_length=255)
    locale = Text(max_length=20)


class TokenForm(Form):
    name = Text(
        required=True,
        max_length=100,
        required_message=N_("Give the token a name of 1 to 100 characters."),
        message=N_("Give the token a name of 1 to 100 characters."),
    )


class ActiveForm(Form):
    """A user's on/off switch (``active=true`` turns the account on)."""

    active = Boolean()
