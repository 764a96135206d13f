"""Lead identifiers: Russian phones in any common form are one E.164 number; malformed ones are refused."""

from __future__ import annotations

import pytest

from crm.features.leads.identifiers import (
    IdentifierError,
    display_phone,
    normalize_email,
    normalize_external_id,
    normalize_phone,
    phone_search_prefix,
)


@pytest.mark.parametrize(
    "written",
    [
        "8 (912) 345-67-89", "+7 (912) 345-67-89", "79123456789", "89123456789", "+79123456789", "9123456789",
        "+7 912 345 67 89", "8-912-345-67-89", "8.912.345.67.89", " +7\u00a0912\u00a0345\u201167\u201189 ",
    ],
)  # fmt: skip
def test_a_russian_number_in_any_common_form_is_the_same_e164_number(written):
    assert normalize_phone(written) == "+79123456789"


def test_city_and_toll_free_numbers_are_russian_numbers_too():
    assert normalize_phone("8 (495) 123-45-67") == "+74951234567"
    assert normalize_phone("8 800 555-35-35") == "+78005553535"


def test_a_foreign_number_needs_its_plus_and_country_code():
    assert normalize_phone("+44 20 7946 0958") == "+442079460958"
    assert normalize_phone("+375 (29) 123-45-67") == "+375291234567"


@pytest.mark.parametrize(
    "written",
    ["", "12345", "+7 912 345 67 8", "8 (912) 345-67-899", "+7 912 ABC-67-89", "8 (012) 345-67-89",
     "+0 123 456 789", "phone", "+", "１２３４５６７８９０", "+7 (912) 345-67-89 доб. 12", "+1234567"],
)  # fmt: skip
def test_a_malformed_phone_is_refused_naming_the_phone(written):
    with pytest.raises(IdentifierError) as caught:
        normalize_phone(written)
    assert caught.value.field == "phone"


def test_emails_are_lower_cased_and_checked():
    assert normalize_email("  Ivan.Petrov@Example.RU ") == "ivan.petrov@example.ru"
    for bad in ("ivan", "ivan@", "@example.ru", "ivan@example", "iv an@example.ru", "a" * 250 + "@example.ru"):
        with pytest.raises(IdentifierError) as caught:
            normalize_email(bad)
        assert caught.value.field == "email"


def test_external_ids_are_trimmed_and_limited():
    assert normalize_external_id("  tg:42 ") == "tg:42"
    with pytest.raises(IdentifierError):
        normalize_external_id("x" * 256)


def test_a_search_box_entry_means_the_start_of_a_stored_phone():
    assert phone_search_prefix("8 912") == "+7912"
    assert phone_search_prefix("+7 (912) 34") == "+791234"
    assert phone_search_prefix("912 345") == "+7912345"
    assert phone_search_prefix("8 (912) 345-67-89") == "+79123456789"
    assert phone_search_prefix("+44 20") == "+4420"
    assert phone_search_prefix("ivan") is None
    assert phone_search_prefix("12") is None


def test_stored_numbers_are_shown_the_way_people_write_them():
    assert display_phone("+79123456789") == "+7 912 345-67-89"
    assert display_phone("+442079460958") == "+442079460958"
    assert display_phone(None) == ""
