"""The accounts slice's forms (crm.lib.forms): sign-in, language, password reset and change, profile, API token,
the admin's user form, a user's on/off switch and the roles' permission matrix."""

from __future__ import annotations

from crm.features.accounts.permissions import PERMISSIONS
from crm.features.accounts.schemas import valid_email
from crm.features.accounts.services import password_problem
from crm.lib.forms import Boolean, Choice, Form, Integer, Keyed, Text
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


class UserForm(Form):
    """The admin's user form. ``check_against`` applies the rules that need the roles and departments that exist
    and whether the user is being created (an address and a first password are required then)."""

    email = Text(max_length=320, lower=True)
    name = Text(max_length=255)
    roles = Text(many=True, max_length=100)
    department_id = Integer(min=1, message=N_("Unknown department."))
    telegraph_prefix = Text(pattern=r"\d{3,12}", pattern_message=N_("Digits only, 3 to 12 of them (e.g. 123002)."))
    password = Text(max_length=1000, strip=False)
    employee_bitrix_id = Integer(min=1, message=N_("Choose an employee from the list."))
    employee_q = Text(max_length=10_000)  # the picker's search text (its first 100 characters)

    @property
    def employee_given(self) -> bool:
        """Whether the form carried the employee field at all (without it the link is left as it is)."""
        return bool(self.submitted.get("employee_bitrix_id"))

    def check(self) -> None:
        self.values["employee_q"] = (self.values.get("employee_q") or "")[:100]

    def check_against(self, *, role_names: set[str], department_ids: set[int], creating: bool) -> None:
        if creating and not valid_email(self.email):
            self.errors.add("email", _("Enter an email address like name@company.ru."))
        if not self.roles:
            self.errors.add("roles", _("Choose at least one role."))
        elif set(self.roles) - role_names:
            self.errors.add("roles", _("Unknown role."))
        if self.department_id is not None and self.department_id not in department_ids:
            self.errors.add("department_id", _("Unknown department."))
        if "telegraph" in self.roles and not self.telegraph_prefix and "telegraph_prefix" not in self.errors:
            self.errors.add("telegraph_prefix", _("A telegraph operator needs the channel prefix of their office."))
        if creating:
            problem = password_problem(self.password, self.email)
            if problem:
                self.errors.add("password", _(problem))


class RolesForm(Form):
    """The permission matrix: a group of checkboxes ``perm:<role>`` per role, each ticked box a permission code.
    A code no screen offers is refused (``refuse_if_invalid``); ``services.set_role_permissions`` keeps the codes
    the matrix does not show and the admin's own."""

    perm = Keyed(Choice(choices=frozenset(p.code for p in PERMISSIONS), many=True), separator=":", max_keys=200)
