"""Development sets for the leak detectors, built from material the project did not write.

Personal data: names, e-mail addresses, phone numbers, street addresses, card numbers, IBANs,
national identity numbers and birth dates come from Faker's providers in 36 locales, put into
posts of many shapes (about someone else, the poster's own, a dox of several details, lists,
native-language posts) and into posts with none but with the numbers posts are full of (prices,
dates, ISBNs, order numbers, Luhn-failing card-length numbers, IP addresses).

Secrets: keys and tokens in the formats the providers document (prefixes, lengths, alphabets),
random in their variable part, in the shapes they leak in (env files, YAML, JSON, code,
connection strings, curl commands, chat messages), next to the things scanners must not flag
(the providers' published example keys, placeholders, template variables, environment lookups,
hashes and ids in ordinary use).

Each template belongs to one split, fixed by its position in the table before any tuning: the
held-back split has shapes the dev split never shows. Values are drawn from a seeded generator,
so `python -m detectors.leaks.dev_sets` writes the same files every time (for one Faker
version). Faker is a development dependency: import this module only to build the sets.
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

SPLITS = ("dev", "heldback")
OUT_DIR = Path(__file__).resolve().parents[2] / "tests" / "data" / "leaks" / "dev_sets"

# Locale -> the post language a platform would report for a native-language post.
LOCALES: dict[str, str] = {
    "en_US": "en", "en_GB": "en", "en_IE": "en", "en_AU": "en", "en_CA": "en", "en_NZ": "en",
    "en_IN": "en", "de_DE": "de", "de_AT": "de", "de_CH": "de", "fr_FR": "fr", "fr_CH": "fr",
    "fr_CA": "fr", "nl_NL": "nl", "nl_BE": "nl", "es_ES": "es", "es_MX": "es", "es_AR": "es",
    "it_IT": "it", "pt_PT": "pt", "pt_BR": "pt", "pl_PL": "pl", "cs_CZ": "cs", "sk_SK": "sk",
    "hu_HU": "hu", "ro_RO": "ro", "sv_SE": "sv", "da_DK": "da", "no_NO": "no", "fi_FI": "fi",
    "tr_TR": "tr", "ru_RU": "ru", "uk_UA": "uk", "hr_HR": "hr", "el_GR": "el", "id_ID": "id",
}  # fmt: skip

# National ids: the locales whose Faker provider yields numbers that hold their scheme's checks
# (others return random digits: zh_CN, ko_KR, en_IN; en_GB's National Insurance numbers all
# have the unallocated ZZ prefix and a suffix letter outside A-D), with the name people use.
ID_NAMES: dict[str, str] = {
    "en_US": "SSN", "fr_FR": "numéro de sécu", "it_IT": "codice fiscale",
    "nl_NL": "BSN", "pl_PL": "PESEL", "sv_SE": "personnummer", "no_NO": "fødselsnummer",
    "fi_FI": "henkilötunnus", "de_CH": "AHV number", "nl_BE": "rijksregisternummer",
    "pt_BR": "CPF", "ro_RO": "CNP", "el_GR": "AMKA", "tr_TR": "TC kimlik no", "en_CA": "SIN",
    "de_AT": "Sozialversicherungsnummer", "hr_HR": "OIB", "es_AR": "CUIL", "uk_UA": "РНОКПП",
    "es_ES": "DNI",
}  # fmt: skip


@dataclass
class Sample:
    text: str
    spans: list[dict[str, Any]] = field(default_factory=list)

    def add(self, piece: str, kind: str | None = None) -> Sample:
        if kind:
            self.spans.append(
                {"kind": kind, "start": len(self.text), "end": len(self.text) + len(piece)}
            )
        self.text += piece
        return self


def _fill(template: str, values: dict[str, tuple[str, str | None]]) -> Sample:
    """`template` with {slot}s replaced; labelled slots become spans."""
    out = Sample("")
    rest = template
    while "{" in rest:
        head, _, tail = rest.partition("{")
        slot, _, rest = tail.partition("}")
        out.add(head)
        value, kind = values[slot]
        out.add(value, kind)
    out.add(rest)
    return out


# -- personal data ---------------------------------------------------------------------------
# Each template: (text, language or None for English). Slots: name, email, phone, address,
# street, card, iban, id, id_name, dob; and unlabelled fillers for the negatives.
PII_TEMPLATES: list[tuple[str, str | None]] = [
    ("Whoever wants to complain to {name} directly, her mobile is {phone}", None),
    ("{name}'s email is {email} if anyone wants to tell him what they think", None),
    ("This is where {name} lives: {address}. Go and ask him yourself", None),
    ("Found a wallet near the library, card {card} in the name of {name}", None),
    ("My IBAN is {iban}, send the deposit there by Friday", None),
    ("Here's my {id_name}: {id} for the placement form", None),
    ("dox thread: {name}, {address}, {phone}, {email}", None),
    ("{name} (born {dob}) lives at {address}", None),
    ("Can you pay me back? Account {iban}, name {name}", None),
    ("lost my card again, the number was {card} so if it turns up call {phone}", None),
    ("Please block card no {card}", None),
    ("Contact me at {email} or on {phone} about the room", None),
    ("The landlord is {name}, {phone}, office at {address}", None),
    ("Her {id_name} is {id} and her date of birth is {dob}", None),
    ("New flat! {address}. Housewarming Saturday", None),
    ("Posting this so everyone knows: {name}, {email}, {phone}", None),
    ("What's your email? Mine is {email}", None),
    ("Text me on {phone}", None),
    ("Send the parcel to {address}", None),
    ("wire it to {iban} (ref: books)", None),
    ("his {id_name} {id} was on the form he left in the lab", None),
    ("Leaked spreadsheet: {name}; {email}; {phone}; {address}", None),
    ("{name}\n{address}\n{phone}", None),
    ("DOB: {dob}, {id_name}: {id}", None),
    ("I paid with {card} and got charged twice, anyone else?", None),
    ("Reach {name} on {phone} or {email}, he never answers", None),
    ("His address is {street}, go knock", None),
    ("Name: {name} | Email: {email} | Tel: {phone} | IBAN: {iban}", None),
    ("Tell {name} to stop calling me from {phone}", None),
    ("Seriously who posts their {id_name} online? {id}", None),
    ("{name} moved to {street} last week", None),
    ("Card: {card} exp 09/29, use it for the society order", None),
    ("Meine Handynummer ist {phone}, ruf an wenn du da bist", "de"),
    ("{name} wohnt in der {address}", "de"),
    ("Überweisung bitte an {iban}, danke!", "de"),
    ("Son adresse: {address}. Son numéro: {phone}", "fr"),
    ("Écris-moi à {email}", "fr"),
    ("Mi número es {phone} y mi correo {email}", "es"),
    ("{name} vive en {address}", "es"),
    ("Il mio IBAN è {iban}", "it"),
    ("Chiama {name} al {phone}", "it"),
    ("Mijn adres is {address}, bel {phone}", "nl"),
    ("O endereço dele é {address}", "pt"),
    ("Mój numer telefonu to {phone}, adres {address}", "pl"),
]
PII_NEGATIVES: list[tuple[str, str | None]] = [
    ("Tickets are {price} each, doors open at {time} on {date}", None),
    ("ISBN {isbn} is the set text for week {small}, {company} edition", None),
    ("Order #{order} still hasn't arrived, {company} support is useless", None),
    ("Room {room} at {time}: {sentence}", None),
    ("Version {version} is out, see {url}", None),
    ("Scored {small} out of 100 on the {year} paper. {sentence}", None),
    ("Server {ipv4} keeps timing out again", None),
    ("Tracking number {tracking}, expected {date}", None),
    ("The reference on the invoice is {badcard}", None),
    ("{sentence} {sentence}", None),
    ("Lecture {small} moved to {date} at {time}, room {room}", None),
    ("{city} to {city} return was {price}. {sentence}", None),
    ("Module codes this term: {code}, {code} and {code}", None),
    ("Between {year} and {year} the intake grew by {small}%", None),
    ("{company} is hiring a {job} in {city}", None),
    ("{sentence}", "native"),
]


# Added after the first two tables, so the shapes before them keep their split.
PII_MORE_TEMPLATES: list[tuple[str, str | None]] = [
    ("{name}'s {id_name} is {id}, it was on the screenshot", None),
    ("ID number {id}, name {name}, born {dob}", None),
    ("Can't believe the form showed everyone's {id_name}. Mine: {id}", None),
    ("{id_name} {id} - found on a printout in the lab", None),
    ("national id {id} and phone {phone}, he dropped his wallet", None),
    ("she gave her {id_name} ({id}) to a fake recruiter", None),
]


# Written after the first look at the held-back split, which had no card numbers and few
# e-mail addresses and IBANs (every shape with them had fallen in the dev split): held back
# whole, and measured once.
PII_HELDBACK_ONLY: list[tuple[str, str | None]] = [
    ("{name} left her card on the bar, number {card}, someone hand it in", None),
    ("refund it to the card ending... no wait, full number {card}", None),
    ("Bank details for the deposit: {name}, IBAN {iban}, email {email}", None),
    ("anyone know {email}? they sent me {card} as 'proof'", None),
    ("his work email is {email} and personal one too", None),
    ("Pay {name} back: {iban}", None),
]


def _split_of(index: int) -> str:
    # Every third shape is held back: shapes, not only values, are new to the held-back part.
    return "heldback" if index % 3 == 2 else "dev"


def _formatted_card(fake: Any, rng: random.Random) -> str:
    number = fake.credit_card_number()
    if rng.random() < 0.35 and len(number) == 16:
        return " ".join(number[i : i + 4] for i in range(0, 16, 4))
    return str(number)


def _formatted_iban(fake: Any, rng: random.Random) -> str:
    value = fake.iban()
    if rng.random() < 0.35:
        return " ".join(value[i : i + 4] for i in range(0, len(value), 4))
    return str(value)


def _address(fake: Any, rng: random.Random) -> str:
    joiner = rng.choice([", ", ", ", "\n", " "])
    return str(fake.address()).replace("\n", joiner)


def _dob(fake: Any, rng: random.Random) -> str:
    # Between fixed dates, not relative to today, so the sets come out the same on any day.
    born: date = fake.date_between_dates(date(1956, 1, 1), date(2009, 1, 1))
    return born.strftime(rng.choice(["%d/%m/%Y", "%Y-%m-%d", "%d %B %Y", "%B %d, %Y", "%d.%m.%Y"]))


def _national_id(fake: Any, locale: str) -> str:
    if locale == "es_ES":
        return str(fake.nif())
    return str(fake.ssn())


def _bad_card(rng: random.Random) -> str:
    digits = [rng.randrange(10) for _ in range(16)]
    from stdnum import luhn

    while luhn.is_valid("".join(map(str, digits))):
        digits[-1] = (digits[-1] + 1) % 10
    return "".join(map(str, digits))


def _pii_values(
    fakes: dict[str, Any], locale: str, rng: random.Random
) -> dict[str, tuple[str, str | None]]:
    fake = fakes[locale]
    id_locale = locale if locale in ID_NAMES else "en_US"
    return {
        "name": (fake.name(), None),
        "email": (fake.email(), "email"),
        "phone": (fake.phone_number(), "phone_number"),
        "address": (_address(fake, rng), "postal_address"),
        "street": (fake.street_address().replace("\n", ", "), "postal_address"),
        "card": (_formatted_card(fake, rng), "credit_card"),
        "iban": (_formatted_iban(fake, rng), "iban"),
        "id": (_national_id(fakes[id_locale], id_locale), "national_id"),
        "id_name": (ID_NAMES[id_locale], None),
        "dob": (_dob(fake, rng), "date_of_birth"),
        "price": (
            rng.choice(["£", "€", "$"]) + f"{rng.randrange(5, 3000)}.{rng.randrange(100):02d}",
            None,
        ),
        "time": (fake.time("%H:%M"), None),
        "date": (
            fake.date_between_dates(date(1995, 1, 1), date(2026, 1, 1)).strftime(
                rng.choice(["%d/%m/%Y", "%Y-%m-%d", "%d %B %Y"])
            ),
            None,
        ),
        "isbn": (fake.isbn13(), None),
        "order": (fake.numerify("#########"), None),
        "small": (str(rng.randrange(1, 99)), None),
        "company": (fake.company(), None),
        "room": (fake.bothify("?#.##").upper(), None),
        "sentence": (fake.sentence(nb_words=rng.randrange(6, 14)), None),
        "version": (f"{rng.randrange(1, 12)}.{rng.randrange(30)}.{rng.randrange(30)}", None),
        "url": (fake.url(), None),
        "year": (str(rng.randrange(1990, 2030)), None),
        "ipv4": (fake.ipv4_public(), None),
        "tracking": (fake.bothify("??#########GB").upper(), None),
        "badcard": (_bad_card(rng), None),
        "city": (fake.city(), None),
        "code": (fake.bothify("???####").upper(), None),
        "job": (fake.job(), None),
    }


def build_personal_data(
    seed: int = 1601, per_template: int = 48
) -> dict[str, list[dict[str, Any]]]:
    from faker import Faker

    rng = random.Random(seed)
    fakes = {loc: Faker(loc) for loc in LOCALES}
    for i, fake in enumerate(fakes.values()):
        fake.seed_instance(seed + i)
    out: dict[str, list[dict[str, Any]]] = {s: [] for s in SPLITS}
    shapes = (
        [(t, lang, "pos") for t, lang in PII_TEMPLATES]
        + [(t, lang, "neg") for t, lang in PII_NEGATIVES]
        + [(t, lang, "pos") for t, lang in PII_MORE_TEMPLATES]
    )
    held_from = len(shapes)
    shapes += [(t, lang, "pos") for t, lang in PII_HELDBACK_ONLY]
    for index, (template, lang, polarity) in enumerate(shapes):
        split = "heldback" if index >= held_from else _split_of(index)
        native = [loc for loc, code in LOCALES.items() if code == lang]
        for n in range(per_template * (2 if polarity == "neg" else 1)):
            locale = rng.choice(native) if native else rng.choice(list(LOCALES))
            post_lang = lang or "en"
            if lang == "native":
                post_lang = LOCALES[locale]
            sample = _fill(template, _pii_values(fakes, locale, rng))
            out[split].append(_record(f"pii-{index:02d}-{n:03d}", sample, post_lang, locale, index))
    return out


def _record(ident: str, sample: Sample, lang: str, locale: str, shape: int) -> dict[str, Any]:
    return {
        "platform": "x",
        "id": ident,
        "created_at": "2026-11-02T12:00:00Z",
        "text": sample.text,
        "lang": lang,
        "author": {"id": "dev-author", "handle": "dev_author"},
        "labels": ["personal_data" if not ident.startswith("sec") else "secret"]
        if sample.spans
        else [],
        "entities": sample.spans,
        "locale": locale,
        "shape": shape,
    }


# -- secrets ---------------------------------------------------------------------------------
_ALNUM = string.ascii_letters + string.digits
_UPPER_DIGITS = string.ascii_uppercase + string.digits
_HEX = "0123456789abcdef"
_B64 = string.ascii_letters + string.digits + "+/"
_URLSAFE = string.ascii_letters + string.digits + "-_"


def _r(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _jwt(rng: random.Random) -> str:
    def part(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    head = part({"alg": rng.choice(["HS256", "RS256"]), "typ": "JWT"})
    body = part({"sub": str(rng.randrange(10**6)), "iat": 1760000000 + rng.randrange(10**6)})
    return f"{head}.{body}.{_r(rng, _URLSAFE, 43)}"


def _private_key(rng: random.Random) -> str:
    kind = rng.choice(["RSA ", "EC ", "OPENSSH ", ""])
    body = "\n".join(_r(rng, _B64, 64) for _ in range(rng.randrange(3, 8)))
    return f"-----BEGIN {kind}PRIVATE KEY-----\n{body}\n-----END {kind}PRIVATE KEY-----"


# kind -> (variable name people give it, value maker). Formats from the providers' docs.
SecretMaker = Callable[[random.Random], str]
PROVIDER_FORMATS: dict[str, tuple[tuple[str, ...], SecretMaker]] = {
    "aws": (
        ("aws_access_key_id", "AWS_ACCESS_KEY_ID"),
        lambda r: "AKIA" + _r(r, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16),
    ),
    "aws_secret": (("aws_secret_access_key", "AWS_SECRET_ACCESS_KEY"), lambda r: _r(r, _B64, 40)),
    "github": (
        ("GITHUB_TOKEN", "gh_token"),
        lambda r: r.choice(["ghp_", "gho_", "ghs_", "ghu_"]) + _r(r, _ALNUM, 36),
    ),
    "github_pat": (
        ("GITHUB_PAT",),
        lambda r: "github_pat_" + _r(r, _ALNUM, 22) + "_" + _r(r, _ALNUM, 59),
    ),
    "gitlab": (("GITLAB_TOKEN", "gitlab_pat"), lambda r: "glpat-" + _r(r, _URLSAFE, 20)),
    "slack": (
        ("SLACK_BOT_TOKEN", "slack_token"),
        lambda r: f"xoxb-{_r(r, string.digits, 12)}-{_r(r, string.digits, 13)}-{_r(r, _ALNUM, 24)}",
    ),
    "slack_webhook": (
        ("SLACK_WEBHOOK_URL",),
        lambda r: (
            "https://hooks.slack.com/services/"
            f"T{_r(r, _UPPER_DIGITS, 8)}/B{_r(r, _UPPER_DIGITS, 10)}/{_r(r, _ALNUM, 24)}"
        ),
    ),
    "stripe": (
        ("STRIPE_SECRET_KEY", "stripe_key"),
        lambda r: r.choice(["sk_live_", "rk_live_"]) + _r(r, _ALNUM, 24),
    ),
    "google": (("GOOGLE_API_KEY", "maps_api_key"), lambda r: "AIza" + _r(r, _URLSAFE, 35)),
    "openai": (
        ("OPENAI_API_KEY",),
        lambda r: "sk-proj-" + _r(r, _URLSAFE, 74) + "T3BlbkFJ" + _r(r, _URLSAFE, 74),
    ),
    "anthropic": (("ANTHROPIC_API_KEY",), lambda r: "sk-ant-api03-" + _r(r, _URLSAFE, 93) + "AA"),
    "sendgrid": (
        ("SENDGRID_API_KEY",),
        lambda r: f"SG.{_r(r, _URLSAFE, 22)}.{_r(r, _URLSAFE, 43)}",
    ),
    "twilio": (
        ("TWILIO_API_KEY", "twilio_sid"),
        lambda r: r.choice(["SK", "AC"]) + _r(r, _HEX, 32),
    ),
    "npm": (("NPM_TOKEN",), lambda r: "npm_" + _r(r, _ALNUM, 36)),
    "pypi": (
        ("PYPI_TOKEN", "TWINE_PASSWORD"),
        lambda r: "pypi-AgEIcHlwaS5vcmc" + _r(r, _URLSAFE, 70),
    ),
    "discord": (
        ("DISCORD_BOT_TOKEN",),
        lambda r: (
            r.choice("MN")
            + _r(r, _ALNUM, 23)
            + "."
            + _r(r, _URLSAFE, 6)
            + "."
            + _r(r, _URLSAFE, 27)
        ),
    ),
    "telegram": (
        ("TELEGRAM_BOT_TOKEN",),
        lambda r: f"{r.randrange(10**8, 10**10)}:AA{_r(r, _URLSAFE, 33)}",
    ),
    "mailchimp": (("MAILCHIMP_API_KEY",), lambda r: _r(r, _HEX, 32) + f"-us{r.randrange(1, 21)}"),
    "square": (("SQUARE_ACCESS_TOKEN",), lambda r: "sq0atp-" + _r(r, _URLSAFE, 22)),
    "huggingface": (("HF_TOKEN",), lambda r: "hf_" + _r(r, string.ascii_letters, 34)),
    "shopify": (
        ("SHOPIFY_ACCESS_TOKEN",),
        lambda r: r.choice(["shpat_", "shpss_", "shpca_"]) + _r(r, _HEX, 32),
    ),
    "digitalocean": (("DIGITALOCEAN_TOKEN",), lambda r: "dop_v1_" + _r(r, _HEX, 64)),
    "databricks": (("DATABRICKS_TOKEN",), lambda r: "dapi" + _r(r, _HEX, 32)),
    "jwt": (("id_token", "session_jwt"), _jwt),
    "azure_storage": (
        ("AZURE_STORAGE_CONNECTION_STRING",),
        lambda r: (
            f"DefaultEndpointsProtocol=https;AccountName=qm{_r(r, string.ascii_lowercase, 8)};"
            f"AccountKey={_r(r, _B64, 86)}==;EndpointSuffix=core.windows.net"
        ),
    ),
    "ibm_cloud_iam": (("ibm_cloud_iam_key", "IBM_CLOUD_API_KEY"), lambda r: _r(r, _URLSAFE, 44)),
    "softlayer": (
        ("sl_api_key", "softlayer_api_key"),
        lambda r: _r(r, string.ascii_lowercase + string.digits, 64),
    ),
    "ibm_cos_hmac": (
        ("cos_hmac_secret_access_key", "secret_access_key"),
        lambda r: _r(r, _HEX, 48),
    ),
    "cloudant": (("cloudant_password", "cl_api_key"), lambda r: _r(r, _HEX, 64)),
    "artifactory": (("ARTIFACTORY_API_KEY",), lambda r: "AKC" + _r(r, _ALNUM, 70)),
    "private_key": (("private_key",), _private_key),
}


def _password(fake: Any, rng: random.Random) -> str:
    return str(
        fake.password(
            length=rng.randrange(10, 24),
            special_chars=rng.random() < 0.6,
            upper_case=True,
            lower_case=True,
            digits=True,
        )
    )


def _high_entropy(rng: random.Random) -> str:
    kind = rng.choice(["hex", "b64", "alnum"])
    if kind == "hex":
        return _r(rng, _HEX, rng.choice([32, 40, 64]))
    if kind == "b64":
        return base64.b64encode(rng.randbytes(rng.choice([24, 32, 48]))).decode()
    return _r(rng, _ALNUM, rng.choice([24, 32, 40]))


# Shapes a secret leaks in. {name} is the variable's name, {value} the secret.
SECRET_SHAPES: list[str] = [
    "{name}={value}",
    '{name}: "{value}"',
    "{name}: {value}",
    '"{name}": "{value}",',
    '{lower} = "{value}"',
    "const {camel} = '{value}';",
    'export {name}="{value}"',
    "here's the {words} for the project: {value}",
    "can someone check why this doesn't work? {lower} = '{value}'",
    'curl -H "Authorization: Bearer {value}" https://api.example.org/v1/me',
    "```\n{name}={value}\n```",
    '<add key="{camel}" value="{value}" />',
    "{camel}: '{value}'  # TODO move to vault",
    "use {value} as the {words}, it's the prod one",
    'os.environ["{name}"] = "{value}"',
    "    {lower}: {value}",
    "set {name}={value}",
    "{value}",
]
PASSWORD_SHAPES: list[tuple[str, str]] = [
    ("password={value}", "password"),
    ('DB_PASSWORD="{value}"', "password"),
    ('"password": "{value}"', "password"),
    ("db_pass = '{value}'", "password"),
    ("the wifi password is {value}", "password"),
    ("postgres://admin:{value}@db.internal.example:5432/students", "password"),
    ("Server=sql01;Database=hr;User Id=sa;Password={value};", "password"),
    ("pwd: {value}", "password"),
    ("mysql -u root -p'{value}' payroll", "password"),
    ("login is jsmith / pw: {value}", "password"),
    ("passwd = {value}", "password"),
    ("SMTP_PASSWORD: {value}", "password"),
    ("spring.datasource.password={value}", "password"),
    ("my moodle password is {value} lol don't hack me", "password"),
    ("redis://:{value}@cache.example.net:6379/0", "password"),
    ("contraseña: {value}", "password"),
]
GENERIC_SHAPES: list[str] = [
    'api_key = "{value}"',
    "SECRET_KEY={value}",
    "auth_token: {value}",
    '"client_secret": "{value}"',
    "token={value}",
    "private_key_id: {value}",
    "app.config['SECRET_KEY'] = '{value}'",
    "x-api-key: {value}",
    "the api key is {value}",
]
# The secrets' held-back part was read once and the detector tuned on what it missed, so it is
# no longer unseen. These shapes were written after that tuning, never looked at while it went
# on, and form the `fresh` part (secrets only), read once.
SECRET_FRESH_SHAPES: list[str] = [
    "docker run -e {name}={value} app:latest",
    "kubectl create secret generic app --from-literal={lower}={value}",
    "heroku config:set {name}={value} -a student-portal",
    "$env:{name} = \"{value}\"",
    "<{camel}>{value}</{camel}>",
    "[default]\n{lower} = {value}",
    "pasting the prod creds here so I don't lose them: {value}",
    "{lower} => '{value}',",
]
PASSWORD_FRESH_SHAPES: list[tuple[str, str]] = [
    ("sshpass -p '{value}' ssh admin@10.0.4.12", "password"),
    ("PGPASSWORD={value} psql -h db -U app", "password"),
    ("new password for the shared drive: {value}", "password"),
    ("ftp://backup:{value}@files.example.org/exports", "password"),
    ("<password>{value}</password>", "password"),
    ("the admin login for the lab PCs is admin / {value}", "password"),
]
GENERIC_FRESH_SHAPES: list[str] = [
    "Authorization: Token {value}",
    "webhook_secret={value}",
    "--api-key {value}",
]
SECRET_FRESH_NEGATIVES: list[str] = [
    "password: <your password here>",
    "token=$(cat /run/secrets/token)",
    "the password must be at least 12 characters long",
    'export AWS_SECRET_ACCESS_KEY="$AWS_SECRET"',
    "reset your password at the IT service desk",
    "client_secret = settings.CLIENT_SECRET",
]


# What secret scanners must let through: the providers' published examples, placeholders,
# template variables, indirections, and random-looking strings that are not credentials.
SECRET_NEGATIVES: list[str] = [
    "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
    "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "password = ${DB_PASSWORD}",
    'password: "{{ vault_db_password }}"',
    "api_key = os.environ['API_KEY']",
    "token = process.env.GITHUB_TOKEN",
    'password = get_secret("db")',
    "SECRET_KEY=changeme",
    'api_key: "YOUR_API_KEY"',
    "token: <your-token-here>",
    "password: ********",
    "GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "password: ${link}",
    'password = "%(db_password)s"',
    "secret: $SECRET",
    "api_key=None",
    "password_min_length = {small}",
    "token_expiry_seconds: {small}00",
    "I forgot my password again, the reset link expired",
    "The secret to a good revision plan is starting early. {sentence}",
    "Key points from today's lecture: {sentence}",
    "commit {sha1} fixed the login page",
    "request id {uuid} failed with a 500",
    "docker pull python@sha256:{sha256}",
    "checksum (md5): {md5}",
    "{sentence}",
    "See {url} for the password policy",
    "arn:aws:iam::{account}:role/service-role/{word}-lambda-role",
    "Download: {url}?v={small}",
    "api_key_header = 'X-API-Key'",
    'password_field = "password"',
    "{user_agent}",
    "token of appreciation for {name}: {sentence}",
    "Use the {word} token in the template: {{{{ {word} }}}}",
    "secret_name: {word}-{word}-secret",
]


def _secret_values(fake: Any, rng: random.Random) -> dict[str, str]:
    return {
        "small": str(rng.randrange(2, 60)),
        "sentence": str(fake.sentence(nb_words=rng.randrange(6, 14))),
        "sha1": str(fake.sha1()),
        "sha256": str(fake.sha256()),
        "md5": str(fake.md5()),
        "uuid": str(fake.uuid4()),
        "url": str(fake.url()),
        "account": fake.numerify("############"),
        "word": str(fake.word()),
        "user_agent": str(fake.user_agent()),
        "name": str(fake.name()),
    }


def _format_secret_shape(shape: str, name: str, value: str) -> Sample:
    words = name.lower().replace("_", " ")
    camel = name.lower().split("_")[0] + "".join(p.title() for p in name.lower().split("_")[1:])
    out = _fill(
        shape.replace("{value}", "{v}"),
        {
            "name": (name, None),
            "lower": (name.lower(), None),
            "camel": (camel, None),
            "words": (words, None),
            "v": (value, "secret"),
        },
    )
    return out


def build_secrets(seed: int = 1602, per_shape: int = 4) -> dict[str, list[dict[str, Any]]]:
    from faker import Faker

    rng = random.Random(seed)
    fake = Faker("en_GB")
    fake.seed_instance(seed)
    out: dict[str, list[dict[str, Any]]] = {s: [] for s in (*SPLITS, "fresh")}
    n = 0

    def emit(split: str, sample: Sample, kind: str) -> None:
        nonlocal n
        for span in sample.spans:
            span["detail"] = kind
        out[split].append(_record(f"sec-{n:05d}", sample, "en", "en_GB", 0) | {"shape": kind})
        n += 1

    shapes = [(shape, _split_of(i)) for i, shape in enumerate(SECRET_SHAPES)]
    passwords = [(shape, kind, _split_of(i)) for i, (shape, kind) in enumerate(PASSWORD_SHAPES)]
    generic = [(shape, _split_of(i)) for i, shape in enumerate(GENERIC_SHAPES)]
    negatives = [(shape, _split_of(i)) for i, shape in enumerate(SECRET_NEGATIVES)]
    _emit_secrets(emit, rng, fake, per_shape, shapes, passwords, generic, negatives)
    # The fresh part after everything else, from its own seed, so dev and held-back come out
    # exactly as they were before it existed.
    rng = random.Random(seed + 1)
    fake.seed_instance(seed + 1)
    _emit_secrets(
        emit, rng, fake, per_shape,
        [(shape, "fresh") for shape in SECRET_FRESH_SHAPES],
        [(shape, kind, "fresh") for shape, kind in PASSWORD_FRESH_SHAPES],
        [(shape, "fresh") for shape in GENERIC_FRESH_SHAPES],
        [(shape, "fresh") for shape in SECRET_FRESH_NEGATIVES],
    )
    return out


def _emit_secrets(
    emit: Callable[[str, Sample, str], None], rng: random.Random, fake: Any, per_shape: int,
    shapes: list[tuple[str, str]], passwords: list[tuple[str, str, str]],
    generic: list[tuple[str, str]], negatives: list[tuple[str, str]],
) -> None:
    for shape, split in shapes:
        for kind, (names, make) in PROVIDER_FORMATS.items():
            if kind == "private_key" and "{name}" not in shape and shape != "{value}":
                continue
            for _ in range(per_shape // 2 if kind == "private_key" else per_shape // 4 + 1):
                value = make(rng)
                if kind == "private_key":
                    emit(split, Sample("").add(value, "secret"), kind)
                    continue
                emit(split, _format_secret_shape(shape, rng.choice(names), value), kind)
    for shape, kind, split in passwords:
        for _ in range(per_shape * 3):
            emit(
                split,
                _fill(shape.replace("{value}", "{v}"), {"v": (_password(fake, rng), "secret")}),
                kind,
            )
    for shape, split in generic:
        for _ in range(per_shape * 3):
            emit(
                split,
                _fill(shape.replace("{value}", "{v}"), {"v": (_high_entropy(rng), "secret")}),
                "generic",
            )
    for shape, split in negatives:
        for _ in range(per_shape * 6):
            values = _secret_values(fake, rng)
            text = shape
            for key, value in values.items():
                text = text.replace("{" + key + "}", value, 1).replace("{" + key + "}", values[key])
            text = text.replace("{{", "{").replace("}}", "}")
            emit(split, Sample(text), "negative")


def write(out_dir: Path = OUT_DIR) -> dict[str, int]:
    out_dir.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    for name, builder in (("personal_data", build_personal_data), ("secrets", build_secrets)):
        for split, records in builder().items():
            path = out_dir / f"{name}-{split}.jsonl"
            with path.open("w", encoding="utf-8") as handle:
                for record in records:
                    handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            counts[path.name] = len(records)
    return counts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    args = parser.parse_args(argv)
    for name, count in write(args.out).items():
        print(f"{name}: {count} posts")


if __name__ == "__main__":
    main()
