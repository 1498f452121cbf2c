"""Secrets in text, found the way secret scanners find them in code, and let through the way their
allow-lists let things through.

Four kinds of evidence, each with a score for how sure it is a live credential:
- provider formats: every regex plugin of detect-secrets (AWS, Azure, GitHub, GitLab, Slack,
  Stripe, OpenAI, SendGrid, Twilio, npm, PyPI, Discord, Telegram, Mailchimp, Square, JWTs, IBM
  Cloud IAM, IBM COS HMAC, SoftLayer, Cloudant, Artifactory, credentials in URLs), used as that
  library ships them, plus the documented prefixes of providers it has no plugin for
  (`detectors.leaks.secret_rules`);
- private key blocks;
- keyword assignments: a name that says password, secret, token or key, an assignment (`=`,
  `:`, `:=`, `=>`, `->`) and a value, in code, YAML, JSON, env files and connection strings, and
  "the password is ..." in prose;
- high-entropy strings, but only as the value of such a keyword.
What is not a secret: the providers' published example keys, placeholders (`YOUR_API_KEY`,
`changeme`, `xxxx`, `****`), template variables (`${link}`, `{{ var }}`, `%(name)s`, `$VAR`),
lookups (`os.environ[...]`, `get_secret()`), sequential strings and UUIDs, using detect-secrets'
own heuristic filters where it has them.
"""

from __future__ import annotations

import base64
import json
import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from detect_secrets.filters import heuristic
from detect_secrets.plugins.artifactory import ArtifactoryDetector
from detect_secrets.plugins.aws import AWSKeyDetector
from detect_secrets.plugins.azure_storage_key import AzureStorageKeyDetector
from detect_secrets.plugins.base import RegexBasedDetector
from detect_secrets.plugins.basic_auth import BasicAuthDetector
from detect_secrets.plugins.cloudant import CloudantDetector
from detect_secrets.plugins.discord import DiscordBotTokenDetector
from detect_secrets.plugins.github_token import GitHubTokenDetector
from detect_secrets.plugins.gitlab_token import GitLabTokenDetector
from detect_secrets.plugins.ibm_cloud_iam import IbmCloudIamDetector
from detect_secrets.plugins.ibm_cos_hmac import IbmCosHmacDetector
from detect_secrets.plugins.jwt import JwtTokenDetector
from detect_secrets.plugins.mailchimp import MailchimpDetector
from detect_secrets.plugins.npm import NpmDetector
from detect_secrets.plugins.openai import OpenAIDetector
from detect_secrets.plugins.private_key import PrivateKeyDetector
from detect_secrets.plugins.pypi_token import PypiTokenDetector
from detect_secrets.plugins.sendgrid import SendGridDetector
from detect_secrets.plugins.slack import SlackDetector
from detect_secrets.plugins.softlayer import SoftlayerDetector
from detect_secrets.plugins.square_oauth import SquareOAuthDetector
from detect_secrets.plugins.stripe import StripeDetector
from detect_secrets.plugins.telegram_token import TelegramBotTokenDetector
from detect_secrets.plugins.twilio import TwilioKeyDetector

from detectors.common.spans import SpanSet, line_around
from detectors.leaks.secret_rules import PROVIDER_RULES


@dataclass
class SecretMatch:
    kind: str
    start: int
    end: int
    value: str
    score: float
    # What found it: "detect-secrets:<plugin>", "rule:<provider>", "keyword", "private key".
    rule: str


# detect-secrets plugin -> the kind it reports. Public IPs (IPPublicDetector) are not secrets.
_PLUGINS: tuple[tuple[str, type[RegexBasedDetector]], ...] = (
    ("aws", AWSKeyDetector),
    ("azure_storage", AzureStorageKeyDetector),
    ("url_credentials", BasicAuthDetector),
    ("cloudant", CloudantDetector),
    ("discord", DiscordBotTokenDetector),
    ("github", GitHubTokenDetector),
    ("gitlab", GitLabTokenDetector),
    ("ibm_cloud_iam", IbmCloudIamDetector),
    ("ibm_cos_hmac", IbmCosHmacDetector),
    ("jwt", JwtTokenDetector),
    ("mailchimp", MailchimpDetector),
    ("npm", NpmDetector),
    ("openai", OpenAIDetector),
    ("pypi", PypiTokenDetector),
    ("sendgrid", SendGridDetector),
    ("slack", SlackDetector),
    ("softlayer", SoftlayerDetector),
    ("square", SquareOAuthDetector),
    ("stripe", StripeDetector),
    ("telegram", TelegramBotTokenDetector),
    ("twilio", TwilioKeyDetector),
    ("artifactory", ArtifactoryDetector),
)
_PLUGIN_PATTERNS: tuple[tuple[str, str, re.Pattern[str]], ...] = tuple(
    (kind, plugin.__name__, pattern) for kind, plugin in _PLUGINS for pattern in plugin().denylist
)
_PRIVATE_KEY_HEADERS = tuple(PrivateKeyDetector().denylist)
_PRIVATE_KEY_END = re.compile(r"-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----")

# -- keyword assignments ---------------------------------------------------------------------
_SECRET_WORD = (
    r"password|passwd|passwort|passphrase|pass|pwd|pw|secret|token|api[_-]?key|apikey|"
    r"access[_-]?key|auth[_-]?key|private[_-]?key|client[_-]?secret|credentials?|"
    r"contraseña|contrasena|senha|mot[_-]de[_-]passe|auth"
)
_ASSIGNMENT = re.compile(
    r"(?<![@#$\w])(?P<key>[A-Za-z_][\w.\-\[\]'\"]*)['\"\]]{0,2}\s*"
    r"(?P<op>:=|=>|->|===?|=|:)\s*"
    r"(?:(?P<q>['\"`])(?P<quoted>[^'\"`\n]{1,200})(?P=q)|(?P<bare>[^\s'\"`,;]{1,200}))"
)
# .NET and Java config: <add key="ApiToken" value="..."/>, <entry name="db.password" value="..."/>.
_ATTRIBUTE_PAIR = re.compile(
    r"\b(?:key|name)\s*=\s*(?P<q1>['\"])(?P<key>[^'\"\n]{1,80})(?P=q1)\s+value\s*=\s*"
    r"(?P<q2>['\"])(?P<value>[^'\"\n]{1,300})(?P=q2)",
    re.I,
)
# Credentials in a connection URL, written as people paste them (unescaped characters too).
_URL_CREDENTIALS = re.compile(
    r"\b[a-z][a-z0-9+.\-]{1,20}://(?P<user>[^\s:/@]{0,64}):(?P<value>[^\s@/]{1,100})@[\w.\-]+"
)
# A password on a database client's command line: mysql -p'...', psql's PGPASSWORD=, redis -a.
_CLI_PASSWORD = re.compile(
    r"\b(?:mysql\w*|mariadb|psql|pg_dump|mongo\w*|redis-cli|sshpass)\b[^\n]*?"
    r"(?:\s-p|\s--password[= ]|\s-a\s)(?P<q>['\"]?)(?P<value>[^\s'\"]{4,100})(?P=q)"
)
# Words that name a secret wherever they sit in a variable's name ("DB_PASSWORD", "apiKey"), and
# short ones that count only as a whole part of it ("db_pass", "key", "sl_pw"; not "upwx").
_SECRET_IN_NAME = re.compile(
    r"password|passwd|passwort|passphrase|secret|token|api_?key|credential|contrase[ñn]a|senha|"
    r"private_?key|access_?key|auth_?key|client_?secret|mot_?de_?passe",
    re.I,
)
_SECRET_PARTS = frozenset({"pw", "pwd", "pass", "pin", "key", "auth", "pword", "apikey"})


# A variable's name that names its provider ("AWS_SECRET_ACCESS_KEY", "STRIPE_KEY") says whose
# credential it is even where the value has no provider format of its own.
_PROVIDER_NAMES = re.compile(
    r"^(aws|azure|github|gitlab|stripe|slack|google|gcp|openai|anthropic|twilio|sendgrid|"
    r"mailchimp|npm|pypi|discord|telegram|digitalocean|heroku|shopify|databricks)",
    re.I,
)


def _kind_by_name(key: str) -> str:
    names = re.findall(r"[A-Za-z_][\w\-]*", key)
    name = names[-1] if names else key
    if provider := _PROVIDER_NAMES.match(name):
        return provider.group(1).lower().replace("gcp", "google")
    return "password" if re.search(r"pass|pwd|pw\b|contrase|senha", name, re.I) else "generic"


def secret_name(key: str) -> bool:
    """Whether a variable's name says it holds a secret: its last identifier, split at "_",
    "-", "." and camelCase."""
    names = re.findall(r"[A-Za-z_][\w\-]*", key)
    if not names:
        return False
    name = names[-1]
    if _SECRET_IN_NAME.search(name):
        return True
    parts = re.split(r"[_\-.]+|(?<=[a-z0-9])(?=[A-Z])", name)
    return any(p.lower() in _SECRET_PARTS for p in parts if p)


# "the wifi password is ...", "here's the API key for staging: ...", "use ... as the token".
_PROSE = re.compile(
    rf"\b(?P<word>{_SECRET_WORD}|login|pin|key)\b[^\n.:=]{{0,40}}?(?:\b(?:is|was|are)\b|:|=)\s*"
    r"[\"'“‘`]?(?P<value>[^\s\"'”’`]{4,200})"
    rf"|\buse\s+(?P<used>[^\s\"'`]{{8,200}})\s+as\s+(?:the\s+|my\s+|our\s+)?[\w ]{{0,40}}?"
    rf"\b(?P<as>{_SECRET_WORD}|key)\b",
    re.I,
)
_BEARER = re.compile(r"\b(?:Bearer|Token|Basic)\s+(?P<value>[A-Za-z0-9_\-.~+/]{16,}=*)")
# A key name that holds a setting about the secret, not the secret itself.
_SETTING_KEY = re.compile(
    r"(?:length|min|max|expiry|expires|expiration|timeout|ttl|field|header|name|label|policy|"
    r"type|file|path|url|uri|prompt|hint|reset|rotation|strength|regex|pattern|format|count|"
    r"version|enabled|required|mode|hash|salt_rounds|rounds|id_?field)$|^(?:is|has|use|show)_",
    re.I,
)
_PLACEHOLDER = re.compile(
    r"example|placeholder|redacted|your[_-]|^your|^<.*>$|xxxx|^[*•.xX#-]+$|\.\.\.$|changeme|"
    r"change[_-]me|dummy|sample|fake|insert[_-]|replace[_-]?me|secret[_-]?here|^none$|^null$|"
    r"^nil$|^true$|^false$|^undefined$|^empty$|^required$|^optional$|^string$|^password$|"
    r"^secret$|^token$|^[\w.]+\(.*\)$",
    re.I,
)
# Whole-value template variables only: a password may well contain "${" or "{{".
_TEMPLATE = re.compile(
    r"^(?:\$\{[^}]*\}|\{\{.*\}\}|\{%.*%\}|%\(\w+\)s|%s|\{\w*\}|@\w+@|__\w+__|\$\w+|:\w+|"
    r"#\{[^}]*\})$"
)
_LOOKUP = re.compile(
    r"^(?:os\.environ|os\.getenv|process\.env|env\(|getenv|ENV\[|config\.|settings\.|secrets\.|"
    r"vault\.|self\.|this\.|params\.|request\.|args\.|options\.|ctx\.)",
    re.I,
)
_CALL = re.compile(r"^[A-Za-z_][\w.]{2,}[\[(]")
# A value that is itself a call or an index ("get_secret(", "config['db']"), cut at a quote.
_CALL_WHOLE = re.compile(r"^[A-Za-z_][\w.]{2,}[\[(](?:[\w\"'., \-]*[\])])?$")
# Links, mentions and hashtags are what follows "password:" in a post more often than a password.
_NOT_A_VALUE = re.compile(r"^(?://|https?:|www\.)|^[@#]\w{1,30}$|^&#\d+;?$", re.I)
_SEQUENCES = (
    "abcdefghijklmnopqrstuvwxyz",
    "0123456789",
    "qwertyuiop",
    "asdfghjkl",
)
_ENGLISH_WORDISH = re.compile(r"^[a-z]+(?:[ _-][a-z]+)*$")


def entropy(value: str) -> float:
    counts = Counter(value)
    return -sum(c / len(value) * math.log2(c / len(value)) for c in counts.values())


def _sequential(value: str) -> bool:
    lowered = value.lower()
    for seq in _SEQUENCES:
        for i in range(len(seq) - 7):
            if seq[i : i + 8] in lowered:
                return True
    return heuristic.is_sequential_string(value)


def not_a_secret(value: str, line: str = "") -> bool:
    """The scanners' allow-list: documentation examples, placeholders, template variables,
    lookups, sequential strings, UUIDs and strings without a letter."""
    if not value or len(set(value)) < 4:
        return True
    return bool(
        _PLACEHOLDER.search(value)
        or _TEMPLATE.search(value)
        or _LOOKUP.search(value)
        or _CALL_WHOLE.match(value)
        or heuristic.is_templated_secret(value)
        or heuristic.is_prefixed_with_dollar_sign(value)
        or heuristic.is_potential_uuid(value)
        or heuristic.is_not_alphanumeric_string(value)
        or _sequential(value)
        # The cheap test first: detect-secrets' lookup regex costs ~25 ms on a long line, and
        # a text of thousands of keys asked it for every one.
        or (bool(line) and _CALL.match(value) is not None and heuristic.is_indirect_reference(line))
    )


def _classes(value: str) -> int:
    return sum(bool(re.search(p, value)) for p in (r"[a-z]", r"[A-Z]", r"[0-9]", r"[^A-Za-z0-9]"))


def _value_score(value: str, key: str, *, assigned: bool = False) -> float:
    """How sure a keyword's value is a real secret: long, mixed, random-looking is surest. A
    value assigned to a password variable in code or config is one whatever it looks like (a
    passphrase of words included); one named in prose must look like a password."""
    length, classes, bits = len(value), _classes(value), entropy(value)
    password = bool(re.search(r"pass|pwd|pw|contrase|senha|mot", key, re.I))
    if password and assigned:
        return 0.85 if length >= 8 else 0.75 if length >= 6 else 0.45
    if password:
        if length >= 8 and classes >= 3:
            return 0.88
        if length >= 6 and classes >= 2 and not _ENGLISH_WORDISH.match(value):
            return 0.75
        return 0.4
    # token / key / secret: expect a long random string
    if length >= 16 and bits >= 3.0 and classes >= 2:
        return 0.85
    if length >= 12 and bits >= 3.0 and classes >= 2:
        return 0.65
    return 0.3


def _valid_jwt(value: str) -> bool:
    head = value.split(".")[0]
    try:
        decoded = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    except (ValueError, UnicodeDecodeError):
        return False
    return isinstance(decoded, dict) and "alg" in decoded


def _line_at(text: str, pos: int) -> str:
    start, end = line_around(text, pos, pos)
    return text[start:end]


def _providers(text: str) -> Iterator[SecretMatch]:
    for kind, plugin, pattern in _PLUGIN_PATTERNS:
        for m in pattern.finditer(text):
            # Plugins capture the value (assignment-style ones) or match it whole.
            groups = [i for i in range(1, (m.re.groups or 0) + 1) if m.group(i)]
            group = max(groups, key=lambda i: len(m.group(i))) if groups else 0
            if group and len(m.group(group)) < 8:
                group = 0
            value = m.group(group).strip(" \t=:\"'")
            start = m.start(group) + m.group(group).find(value)
            if not_a_secret(value, _line_at(text, start)):
                continue
            if kind == "jwt" and not _valid_jwt(value):
                continue
            yield SecretMatch(
                kind, start, start + len(value), value, 0.95, f"detect-secrets:{plugin}"
            )
    for rule in PROVIDER_RULES:
        if rule.keyword and rule.keyword not in text:
            continue
        for m in rule.pattern.finditer(text):
            group = 1 if m.re.groups else 0
            value = m.group(group)
            if not_a_secret(value):
                continue
            yield SecretMatch(
                rule.kind, m.start(group), m.end(group), value, rule.score, f"rule:{rule.kind}"
            )


def _private_keys(text: str) -> Iterator[SecretMatch]:
    for pattern in _PRIVATE_KEY_HEADERS:
        for m in pattern.finditer(text):
            end_marker = _PRIVATE_KEY_END.search(text, m.end(), m.end() + 8000)
            line_start, _ = line_around(text, m.start(), m.start())
            start = line_start if text[line_start : m.start()].strip("- ") == "" else m.start()
            end = end_marker.end() if end_marker else min(len(text), m.end() + 80)
            body = re.sub(r"\s", "", text[m.end() : end_marker.start() if end_marker else end])
            if "EXAMPLE" in body.upper() or (end_marker and len(body) < 20):
                continue
            yield SecretMatch("private_key", start, end, text[start:end], 0.97, "private key")


def _keywords(text: str) -> Iterator[SecretMatch]:
    pairs = list(_ATTRIBUTE_PAIR.finditer(text))
    for m in pairs:
        key, value = m.group("key"), m.group("value")
        if secret_name(key) and not not_a_secret(value) and not _NOT_A_VALUE.match(value):
            start = m.start("value")
            score = _value_score(value, key, assigned=True)
            yield SecretMatch(
                _kind_by_name(key), start, start + len(value), value, score, "keyword"
            )
    for pattern in (_URL_CREDENTIALS, _CLI_PASSWORD):
        for m in pattern.finditer(text):
            value = m.group("value")
            if not not_a_secret(value):
                start = m.start("value")
                score = _value_score(value, "password", assigned=True)
                yield SecretMatch("password", start, start + len(value), value, score, "keyword")
    for m in _ASSIGNMENT.finditer(text):
        # key="ApiToken" in an attribute pair names the setting; it is not itself a value.
        if any(p.start() <= m.start() < p.end() for p in pairs):
            continue
        key = m.group("key")
        if not secret_name(key) or _NOT_A_VALUE.match(m.group("quoted") or m.group("bare")):
            continue
        group = "quoted" if m.group("quoted") is not None else "bare"
        value = m.group(group)
        if group == "bare":
            # A query string's next parameter ("?token=abc&page=2") is not part of the value.
            value = re.split(r"&\w+=", value)[0].rstrip(".)")
        if _SETTING_KEY.search(key) or not_a_secret(value, _line_at(text, m.start())):
            continue
        score = _value_score(value, key, assigned=True)
        if " " in value and not re.search(r"pass|pwd|pw|contrase|senha", key, re.I):
            score = min(score, 0.3)  # tokens and keys have no spaces
        kind = _kind_by_name(key)
        start = m.start(group)
        yield SecretMatch(kind, start, start + len(value), value, score, "keyword")
    for m in _PROSE.finditer(text):
        if any(p.start() <= m.start() < p.end() for p in pairs):
            continue
        group = "value" if m.group("value") else "used"
        word = m.group("word") or m.group("as")
        value = m.group(group).rstrip(".,;:!?)")
        if not_a_secret(value) or _NOT_A_VALUE.match(value) or value.casefold() in _PROSE_WORDS:
            continue
        score = _value_score(value, word)
        kind = "password" if re.search(r"pass|pwd|pw|login|pin", word, re.I) else "generic"
        start = m.start(group)
        yield SecretMatch(kind, start, start + len(value), value, score, "keyword")
    for m in _BEARER.finditer(text):
        value = m.group("value")
        if not_a_secret(value):
            continue
        start = m.start("value")
        yield SecretMatch(
            "generic", start, start + len(value), value, _value_score(value, "token"), "keyword"
        )


_PROSE_WORDS = frozenset(
    """
    incorrect required expired changed wrong protected reset forgotten needed optional invalid
    missing strength manager managers policy secure safe weak strong correct different same
    the a an my your their our his her its this that here there now still also not being
    case sensitive valid visible hidden shown saved stored encrypted hashed
    """.split()
)


def find_secrets(text: str) -> list[SecretMatch]:
    """Every secret in `text`, one per stretch of text: the surest of overlapping matches."""
    found = [*_providers(text), *_private_keys(text), *_keywords(text)]
    found.sort(key=lambda s: (-s.score, -(s.end - s.start), s.start))
    kept: list[SecretMatch] = []
    taken = SpanSet()
    for secret in found:
        if not taken.overlaps(secret.start, secret.end):
            kept.append(secret)
            taken.add(secret.start, secret.end)
    return sorted(kept, key=lambda s: s.start)
