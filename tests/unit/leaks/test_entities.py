"""The personal-data recognisers, one table of cases per kind; each case says where its value
comes from. Values from the issue that asked for these recognisers are marked "issue 16"."""

from __future__ import annotations

import pytest

from detectors.leaks.entities import find_entities

# (text, post language, expected kind, expected value, where it comes from)
FOUND = [
    # cards: Luhn, then an issuer's prefix and length
    (
        "Please block card no 213175197796454",
        None,
        "credit_card",
        "213175197796454",
        "issue 16; JCB 2131, 15 digits",
    ),
    (
        "paid with 4539 1488 0343 6467 twice",
        "en",
        "credit_card",
        "4539 1488 0343 6467",
        "a Visa-range number passing Luhn, grouped",
    ),
    (
        "card 5425233430109903 exp 09/29",
        "en",
        "credit_card",
        "5425233430109903",
        "a Mastercard-range number passing Luhn",
    ),
    (
        "amex 378282246310005 pls",
        "en",
        "credit_card",
        "378282246310005",
        "American Express test number",
    ),
    # IBANs: ISO 7064 mod 97-10 and the country's length
    ("My IBAN is GB10LORI20288482594042", None, "iban", "GB10LORI20288482594042", "issue 16"),
    (
        "an DE89 3704 0044 0532 0130 00 bitte",
        "de",
        "iban",
        "DE89 3704 0044 0532 0130 00",
        "the German example IBAN, grouped",
    ),
    (
        "IBAN FR1420041010050500013M02606",
        "fr",
        "iban",
        "FR1420041010050500013M02606",
        "the French example IBAN",
    ),
    # national ids: their schemes' own checks
    ("Here's my SSN: 460-89-9847", None, "national_id", "460-89-9847", "issue 16"),
    (
        "her codice fiscale RSSMRA85T10A562S",
        "it",
        "national_id",
        "RSSMRA85T10A562S",
        "Italian fiscal code format, valid check letter",
    ),
    ("PESEL 44051401359", "pl", "national_id", "44051401359", "python-stdnum's PESEL example"),
    ("BSN 111222333", "nl", "national_id", "111222333", "Dutch BSN passing the 11-test"),
    ("CPF 390.533.447-05", "pt", "national_id", "390.533.447-05", "python-stdnum's CPF example"),
    (
        "AHV 756.9217.0769.85",
        "de",
        "national_id",
        "756.9217.0769.85",
        "Swiss AHV number, EAN-13 check",
    ),
    (
        "NI number AB 12 34 56 C",
        "en",
        "national_id",
        "AB 12 34 56 C",
        "National Insurance number shape, allocated prefix",
    ),
    # phones: phonenumbers in the language's regions, then common ones
    ("call 780-999-2181", None, "phone_number", "780-999-2181", "issue 16; a Canadian number"),
    ("0680 298 70 63", "de", "phone_number", "0680 298 70 63", "issue 16; an Austrian mobile"),
    (
        "Call the switchboard on +44 20 7882 5555",
        "en",
        "phone_number",
        "+44 20 7882 5555",
        "a London number with country code",
    ),
    (
        "Meine Handynummer ist 0151 23456789",
        "de",
        "phone_number",
        "0151 23456789",
        "a German mobile",
    ),
    ("ring her on 07700 900123", "en", "phone_number", "07700 900123", "Ofcom's drama range"),
    (
        "What's your email? SelamMHansen@teleworm.us",
        None,
        "email",
        "SelamMHansen@teleworm.us",
        "issue 16",
    ),
    # addresses in three street shapes, grown over a town and postcode
    (
        "12521 Belgrád rkp. 18. Apt. 417",
        None,
        "postal_address",
        "Belgrád rkp. 18. Apt. 417",
        "issue 16; Hungarian rakpart",
    ),
    (
        "She lives at 10 Downing Street, London SW1A 2AA",
        "en",
        "postal_address",
        "10 Downing Street, London SW1A 2AA",
        "number first, UK postcode",
    ),
    (
        "Hölzenbecherstr. 18-86\n66258 Brand",
        "de",
        "postal_address",
        "Hölzenbecherstr. 18-86\n66258 Brand",
        "type inside the street's name",
    ),
    (
        "45, rue de Samson, 91612 Guillou-sur-Mer",
        "fr",
        "postal_address",
        "45, rue de Samson, 91612 Guillou-sur-Mer",
        "French, number before the type",
    ),
    (
        "aleja Sikorskiego 58/68, 86-195 Biała Podlaska",
        "pl",
        "postal_address",
        "aleja Sikorskiego 58/68, 86-195 Biała Podlaska",
        "type first",
    ),
    (
        "бул. Ангарский, д. 9 к. 2, 812865",
        "ru",
        "postal_address",
        "бул. Ангарский, д. 9 к. 2, 812865",
        "Russian, type first",
    ),
    (
        "moved to Opletalova 6 last week",
        "cs",
        "postal_address",
        "Opletalova 6",
        "no type word: needs the address word before it",
    ),
    ("DOB 12/03/1998 lol", "en", "date_of_birth", "12/03/1998", "a date after a birth word"),
]

NOT_FOUND = [
    ("Tickets are £12.50 each, doors open at 19:30 on 12/03/2026", "en", "prices, times, dates"),
    ("ISBN 978-0-306-40615-7 is the set text", "en", "an ISBN"),
    ("Order #482913377 still hasn't arrived", "en", "an order number"),
    ("Server 81.2.69.142 keeps timing out", "en", "an IP address"),
    ("The reference on the invoice is 4111111111111112", "en", "16 digits failing Luhn"),
    ("Between 2019-2023 the intake grew by 12%", "en", "a range of years"),
    (
        "Selling the full set of slides, £20 via PayPal, DM me",
        "en",
        "demo post: a price before 'via'",
    ),
    ("Room 2.14 at 10:30, lecture 7 moved", "en", "room and lecture numbers"),
    ("Chapter 3 Key Points for the exam", "en", "a number before capitalised words"),
    ("password_min_length = 12 and 2FA on", "en", "a setting, not a detail"),
    ("we scored 3 points in the second half", "en", "lowercase words after a number"),
    ("@USER 2018-09-14 23:56 Congratulations!", "en", "OLID tweet: a date and a time"),
    ("@100046729 lol what else do we have in common", "en", "Davidson tweet: a numeric handle"),
    ("City of 1 499 900 people", "en", "OLID tweet: a count with thousands spaces"),
    ("12 Ways To Use Saul Alinsky's Rules", "en", "OLID tweet: a headline, no street name"),
    ("GB00 TEST 0000 0000", "en", "IBAN-shaped, failing ISO 7064"),
    ("paid with 4111 1111 1111 1111 in the sandbox", "en", "Visa's published test number"),
    ("NI number QQ123456C on the form", "en", "HMRC's documentation example: Q is never a prefix"),
]


@pytest.mark.parametrize(
    ("text", "lang", "kind", "value", "source"), FOUND, ids=[c[4] for c in FOUND]
)
def test_found(text: str, lang: str | None, kind: str, value: str, source: str) -> None:
    entities = [e for e in find_entities(text, lang=lang, regions=("GB",)) if e.score >= 0.5]
    assert [(e.kind, e.value) for e in entities] == [(kind, value)], source
    (entity,) = entities
    assert text[entity.start : entity.end] == entity.value


@pytest.mark.parametrize(("text", "lang", "source"), NOT_FOUND, ids=[c[2] for c in NOT_FOUND])
def test_not_found(text: str, lang: str, source: str) -> None:
    assert [e for e in find_entities(text, lang=lang, regions=("GB",)) if e.score >= 0.5] == []


@pytest.mark.parametrize(
    ("text", "lang", "surer_than"),
    [
        # a scheme's name beside the number is surer than the number alone
        ("PESEL 44051401359", "pl", "44051401359"),
        ("SSN 078051121", "en", "078051121"),
    ],
)
def test_a_named_scheme_is_surer(text: str, lang: str, surer_than: str) -> None:
    named = find_entities(text, lang=lang)
    bare = find_entities(surer_than, lang=lang)
    assert named and named[0].kind == "national_id"
    assert not bare or bare[0].score < named[0].score


def test_never_issued_ssn_ranges_are_not_ids() -> None:
    """Area 000, 666 and 900-999, group 00 and serial 0000 are never issued."""
    for value in ("000-12-3456", "666-12-3456", "912-12-3456", "123-00-4567", "123-45-0000"):
        assert not [e for e in find_entities(f"SSN: {value}") if e.kind == "national_id"], value


def test_a_card_with_the_word_card_but_no_issuer_is_still_a_card() -> None:
    (entity,) = find_entities("card number 1234 5678 9012 3452")
    assert entity.kind == "credit_card" and entity.score >= 0.8


def test_a_phone_inside_an_address_is_the_address() -> None:
    """A house number and a postcode side by side read as a phone number (834 9348)."""
    text = "Sennstrasse 834 9348 Wädenswil"
    assert [e.kind for e in find_entities(text, lang="en")] == ["postal_address"]
