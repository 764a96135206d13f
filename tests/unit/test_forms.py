"""The form recipe (crm.lib.forms): typed values, required fields, bounds, choices, repeated fields, one message
per field, what was typed kept for re-display."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from litestar.datastructures import FormMultiDict

from crm.lib.forms import Boolean, Choice, Date, Form, Ids, Integer, Keyed, Number, Text
from crm.lib.i18n import N_, set_locale


def _no_spaces(value: str) -> str | None:
    return N_("No spaces.") if " " in value else None


class Sample(Form):
    name = Text(required=True, max_length=10)
    code = Text(pattern=r"\d{3,6}", pattern_message=N_("Digits only, 3 to 6 of them."), validate=_no_spaces)
    email = Text(lower=True)
    hour = Integer(min=0, max=23)
    limit = Integer(required=True, min=1, default=None)
    price = Number(min=0, places=2)
    day = Date(min=date(2020, 1, 1))
    kind = Choice(choices=("daily", "weekly"), default="daily")
    days = Choice(choices=("mon", "tue", "wed"), many=True)
    rows = Ids()
    active = Boolean()

    def check(self) -> None:
        if self.kind == "weekly" and not self.days:
            self.errors.add("days", "Choose at least one day.")


def form(pairs: list[tuple[str, str]]) -> FormMultiDict:
    return FormMultiDict(pairs)


def test_good_values_are_typed() -> None:
    f = Sample.parse(
        form(
            [
                ("name", "  Anna "),
                ("code", "123002"),
                ("email", "A@B.RU"),
                ("hour", "7"),
                ("limit", "1 000"),
                ("price", "12,345"),
                ("day", "2026-12-02"),
                ("kind", "weekly"),
                ("days", "mon"),
                ("days", "wed"),
                ("rows", "3"),
                ("rows", "5"),
                ("active", "on"),
            ]
        )
    )
    assert f.ok, f.errors
    assert f.name == "Anna" and f.code == "123002" and f.email == "a@b.ru"
    assert f.hour == 7 and f.limit == 1000
    assert f.price == Decimal("12.35")  # 12.345 rounded half up to kopecks
    assert f.day == date(2026, 12, 2)
    assert f.kind == "weekly" and f.days == ["mon", "wed"] and f.rows == [3, 5] and f.active is True
    assert f.data()["hour"] == 7


def test_empty_optional_fields_take_their_defaults() -> None:
    f = Sample.parse(form([("name", "x"), ("limit", "5")]))
    assert f.ok, f.errors
    assert (f.code, f.hour, f.price, f.day, f.kind, f.days, f.rows, f.active) == (
        "",
        None,
        None,
        None,
        "daily",
        [],
        [],
        False,
    )


def test_each_bad_field_has_its_own_message_and_keeps_what_was_typed() -> None:
    set_locale("en")
    f = Sample.parse(
        form(
            [
                ("name", "much too long a name"),
                ("code", "12a"),
                ("hour", "24"),
                ("limit", ""),
                ("price", "abc"),
                ("day", "2019-12-31"),
                ("kind", "monthly"),
                ("days", "sun"),
                ("rows", "-1"),
            ]
        )
    )
    assert not f.ok
    assert f.errors == {
        "name": "At most 10 characters.",
        "code": "Digits only, 3 to 6 of them.",
        "hour": "Enter a number from 0 to 23.",
        "limit": "This field is required.",
        "price": "Enter a number.",
        "day": "No earlier than 2020-01-01.",
        "kind": "Choose one of the listed values.",
        "days": "Choose one of the listed values.",
        "rows": "Choose records from the list.",
    }
    assert f.raw("hour") == "24" and f.raw("name") == "much too long a name" and f.raw_all("days") == ["sun"]
    assert f.hour is None and f.days == [] and f.kind == ""  # a failed field never carries a half-read value


def test_a_custom_validator_and_a_rule_across_fields() -> None:
    set_locale("en")
    f = Sample.parse(form([("name", "x"), ("limit", "1"), ("code", "12 34"), ("kind", "weekly")]))
    assert f.errors["code"] == "Digits only, 3 to 6 of them."  # the pattern is checked first
    f = Sample.parse(form([("name", "x"), ("limit", "1"), ("kind", "weekly")]))
    assert f.errors == {"days": "Choose at least one day."}


def test_bounds_on_one_side_and_whole_numbers_only() -> None:
    set_locale("en")
    f = Sample.parse(form([("name", "x"), ("limit", "0"), ("price", "-1"), ("hour", "1.5")]))
    assert f.errors == {"limit": "At least 1.", "price": "At least 0.", "hour": "Enter a whole number."}
    f = Sample.parse(form([("name", "x"), ("limit", "99999999999999999999999")]))
    assert f.errors == {"limit": "Enter a whole number."}


def test_messages_are_translated_in_the_request_locale() -> None:
    set_locale("ru")
    try:
        f = Sample.parse(form([("name", ""), ("limit", "x")]))
        assert f.errors["name"] != "This field is required." and f.errors["name"]
        assert f.errors["limit"] != "Enter a whole number."
    finally:
        set_locale("en")


def test_a_plain_dict_and_a_blank_form() -> None:
    f = Sample.parse({"name": "x", "limit": "2", "days": ["mon", "tue"]})
    assert f.ok and f.days == ["mon", "tue"]
    blank = Sample.blank(hour=9, day=date(2026, 1, 1))
    assert blank.ok and blank.hour == 9 and blank.raw("hour") == "9" and blank.raw("day") == "2026-01-01"
    assert blank.raw("kind") == "daily" and blank.raw("code") == ""


class Plan(Form):
    daily = Integer(min=0, max=1000)
    day = Keyed(Integer(min=0, max=1000, message=N_("Enter a whole number from 0 to 1000.")), max_keys=3)


class Roles(Form):
    perm = Keyed(Choice(choices=("a", "b"), many=True), separator=":")


class NeedsOne(Form):
    day = Keyed(Integer(), required=True)


def test_a_family_of_named_fields_is_read_key_by_key_with_a_message_next_to_each_bad_one() -> None:
    f = Plan.parse(form([("day-2027-03-01", " 12 "), ("day-2027-03-02", ""), ("day-2027-03-03", "x"), ("daily", "")]))
    assert f.day == {"2027-03-01": 12, "2027-03-02": None, "2027-03-03": None} and f.daily is None
    assert dict(f.errors) == {"day-2027-03-03": "Enter a whole number from 0 to 1000."}
    assert f.raw("day-2027-03-03") == "x" and f.shown()["day-2027-03-01"] == " 12 "
    assert Plan.parse({"day-1": "5", "day-2": "1001"}).errors == {"day-2": "Enter a whole number from 0 to 1000."}
    assert Plan.parse({"daily": "7"}).day == {}  # none sent: an empty family, no error
    too_many = Plan.parse({f"day-{n}": "1" for n in range(4)})
    assert too_many.day == {} and list(too_many.errors) == ["day"]
    assert NeedsOne.parse({}).errors == {"day": "This field is required."}
    assert NeedsOne.parse({"dayx": "1", "day": "1"}).errors == {"day": "This field is required."}  # not "day-…"
    roles = Roles.parse(form([("perm:manager", "a"), ("perm:manager", "b"), ("perm:head", ""), ("perm:x", "z")]))
    assert roles.perm == {"manager": ["a", "b"], "head": [], "x": []} and list(roles.errors) == ["perm:x"]
    blank = Plan.blank(day={"2027-03-01": 5})
    assert blank.ok and blank.day == {"2027-03-01": 5} and blank.raw("day-2027-03-01") == "5"


def test_a_checkbox_is_never_an_error() -> None:
    for value in ("on", "true", "1", "yes"):
        assert Sample.parse(form([("active", value)])).active is True
    f = Sample.parse(form([("active", "nonsense")]))
    assert f.active is False and "active" not in f.errors


def test_the_country_form_has_a_checkbox_for_every_kind_a_country_may_allow() -> None:
    from crm.features.tariffs.forms import CountryFlagsForm
    from crm.features.tariffs.tariffs import COUNTRY_FLAGS

    assert set(CountryFlagsForm.fields) == set(COUNTRY_FLAGS)
    ticked = CountryFlagsForm.parse(form([("allow_post", "on"), ("allow_lux", "on")]))
    assert [name for name in COUNTRY_FLAGS if ticked.values[name]] == ["allow_post", "allow_lux"]


def test_the_goal_form_checks_only_the_helper_that_was_pressed() -> None:
    from crm.features.goals.forms import GoalForm

    set_locale("en")
    saved = GoalForm.parse(form([("action", "save"), ("fill_value", "lots"), ("grow_from", "13")]))
    assert saved.ok, saved.errors  # the helpers' fields do not stop a save
    repeat = GoalForm.parse(form([("action", "repeat"), ("fill_value", "lots"), ("t1", "100")]))
    assert repeat.errors == {
        "fill_from": "A month from 1 to 12.",
        "fill_value": "A number from 0, e.g. 120000 or 1 250 000,50.",
    }
    grow = GoalForm.parse(form([("action", "grow"), ("grow_from", "1"), ("grow_percent", "10"), ("t1", "100")]))
    assert grow.ok and grow.filled_targets()[1] == Decimal("100") and grow.filled_targets()[2] == Decimal("110.00")


def test_the_user_form_checks_roles_departments_and_a_new_users_address_and_password() -> None:
    from crm.features.accounts.forms import UserForm

    set_locale("en")
    new = UserForm.parse(form([("email", "x"), ("roles", "wizard"), ("department_id", "9"), ("password", "short")]))
    new.check_against(role_names={"manager", "telegraph"}, department_ids={1, 2}, creating=True)
    assert set(new.errors) == {"email", "roles", "department_id", "password"}
    edited = UserForm.parse(form([("roles", "telegraph"), ("name", " Anna ")]))
    edited.check_against(role_names={"manager", "telegraph"}, department_ids={1, 2}, creating=False)
    assert edited.errors == {"telegraph_prefix": "A telegraph operator needs the channel prefix of their office."}
    assert edited.name == "Anna" and not edited.employee_given
    blank = UserForm.blank(roles=["manager"], employee_bitrix_id=None)
    assert blank.roles == ["manager"] and blank.employee_given
