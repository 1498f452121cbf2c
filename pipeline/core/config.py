"""The organisation config: one YAML file, validated by pydantic.

Everything specific to one university lives here (names, accounts, people, logos, markers,
thresholds, retention, recipients). `load_config` is the one loader; its errors name the file,
the key and what is wrong, e.g. ``config/example.yaml: accounts.2.platform: Input should be ...``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    IPvAnyNetwork,
    ValidationError,
    field_validator,
    model_validator,
)

from pipeline.core.limits import MAX_PIXELS
from pipeline.core.paths import PROJECT_ROOT

Platform = Literal["x", "reddit", "bluesky", "mastodon", "jsonl"]

DEFAULT_CONFIG = PROJECT_ROOT / "config" / "example.yaml"


class ConfigError(ValueError):
    """A config file that cannot be used; the message names file, key and problem."""


class _Strict(BaseModel):
    # A typo in a key must fail loudly, not be silently ignored.
    model_config = ConfigDict(extra="forbid")


class Organisation(_Strict):
    name: str
    short_name: str
    aliases: list[str] = Field(default_factory=list)
    domains: list[str] = Field(default_factory=list)
    hashtags: list[str] = Field(default_factory=list)
    # Where the organisation is: the daily digest's "yesterday" and report weeks follow it.
    timezone: str = "Europe/London"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r} (an IANA name such as Europe/London)"
            ) from None
        return value

    def all_names(self) -> list[str]:
        return [self.name, self.short_name, *self.aliases]


class PlatformSearch(_Strict):
    """Search terms for one platform; sources combine them into that platform's query syntax."""

    terms: list[str] = Field(default_factory=list)
    hashtags: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list)
    subreddits: list[str] = Field(default_factory=list)  # Reddit only
    instances: list[str] = Field(default_factory=list)  # Mastodon only


class BrandedAccount(_Strict):
    platform: Platform
    handle: str
    platform_id: str | None = None
    owner: str
    official: bool = True
    may_use_logos: bool = True
    avatar: Path | None = None  # a reference image of the account's avatar, for impersonation


class ProtectedPerson(_Strict):
    name: str
    role: str | None = None
    handles: dict[str, str] = Field(default_factory=dict)  # platform -> handle


class ReferenceLogo(_Strict):
    brand: str
    variant: str = "primary"
    path: Path


class SourceConfig(_Strict):
    """One configured source; credentials are never here, only the name of where to find them."""

    name: str
    platform: Platform
    enabled: bool = True
    path: Path | None = None  # jsonl only
    connection_id: str | None = None  # Airflow Connection id (DAGs)
    env_prefix: str | None = None  # environment variable prefix (CLI), e.g. CRESTWATCH_X
    max_pages: int = Field(default=10, ge=1)
    on_rate_limit: Literal["wait", "defer"] = "defer"
    # "hygiene": the registry accounts' own posts and the replies they received.
    kind: Literal["search", "hygiene"] = "search"
    # Every request of a platform collector: seconds to connect, and seconds for the whole
    # answer (connection and body included); see docs/collectors.md.
    connect_timeout: float = Field(default=10.0, gt=0)
    deadline: float = Field(default=60.0, gt=0)

    @model_validator(mode="after")
    def _connect_within_deadline(self) -> SourceConfig:
        if self.connect_timeout >= self.deadline:
            raise ValueError("connect_timeout must be shorter than deadline")
        return self

    @model_validator(mode="after")
    def _jsonl_has_a_path(self) -> SourceConfig:
        if self.platform == "jsonl" and self.path is None:
            raise ValueError("a jsonl source needs `path` (the JSONL file to read)")
        return self


Level = Literal["low", "medium", "high", "critical"]


class SeverityRule(_Strict):
    """One step of a detector's severity policy, applied in order: when every signal in `when`
    (and at least one in `any`, if given) is present and the score reaches `min_score`, the
    severity becomes at least `at_least`, then moves `raise_by` steps (negative lowers it)."""

    when: list[str] = Field(default_factory=list)
    any: list[str] = Field(default_factory=list)
    min_score: float = Field(default=0.0, ge=0.0, le=1.0)
    at_least: Level | None = None
    raise_by: int = Field(default=0, ge=-3, le=3)
    # Shown in the hit's decision, e.g. "threat: at least high".
    reason: str | None = None


class SeverityPolicy(_Strict):
    """How a detector's admitted findings get their severity (pipeline/policy/engine.py)."""

    base: Level = "medium"
    # Minimum score for each level; the highest level reached wins over `base`.
    bands: dict[Level, float] = Field(default_factory=dict)
    rules: list[SeverityRule] = Field(default_factory=list)


class DetectorSettings(_Strict):
    enabled: bool = True
    threshold: float = Field(default=0.5, ge=0.0, le=1.0)
    # Validated against the detector's own options model when the detector is built.
    options: dict[str, Any] = Field(default_factory=dict)
    # None: the detector's default policy (pipeline/policy/defaults.py).
    severity: SeverityPolicy | None = None
    # Signals that keep a finding from being alerted on; None: the detector's default.
    suppress_when: list[str] | None = None


class Notifications(_Strict):
    recipients: list[str] = Field(default_factory=list)
    digest_recipients: list[str] = Field(default_factory=list)
    smtp_host: str = "localhost"
    smtp_port: int = 587
    smtp_starttls: bool = True
    sender: str = "crestwatch@localhost"
    max_per_hour: int = Field(default=30, ge=1)
    smtp_ca_file: Path | None = None  # a private CA for STARTTLS; the system store otherwise
    # Chat notifications; the webhook URL is a secret, so it comes from CRESTWATCH_WEBHOOK_URL.
    webhook: Literal["slack", "teams"] | None = None
    # Links in e-mails point at the Kibana hit view when this is set.
    kibana_url: str | None = None


class StoreConfig(_Strict):
    backend: Literal["sqlite", "elasticsearch"] = "sqlite"
    elasticsearch_url: str | None = None  # credentials come from CRESTWATCH_ES_* variables
    index_prefix: str = "crestwatch"


class MediaSettings(_Strict):
    """Limits of the guarded media fetcher (pipeline/media.py, docs/media.md)."""

    max_bytes: int = Field(default=15 * 1024 * 1024, ge=1)
    max_pixels: int = Field(default=MAX_PIXELS, ge=1)
    max_redirects: int = Field(default=3, ge=0, le=10)
    allowed_types: list[Literal["image/jpeg", "image/png", "image/gif", "image/webp"]] = Field(
        default=["image/jpeg", "image/png", "image/gif", "image/webp"], min_length=1
    )
    connect_timeout: float = Field(default=5.0, gt=0)
    read_timeout: float = Field(default=10.0, gt=0)
    deadline: float = Field(default=30.0, gt=0)  # seconds per fetch, redirects included
    # Seconds for one page's fetches together, and again for reading text in its images: what
    # is left then is deferred to `crestwatch quarantine retry`, never dropped.
    page_budget: float = Field(default=120.0, gt=0)
    tries: int = Field(default=2, ge=1)
    workers: int = Field(default=4, ge=1, le=32)
    # Images whose text is read at once: one Tesseract process (one thread) each.
    ocr_workers: int = Field(default=2, ge=1, le=16)
    allow_networks: list[IPvAnyNetwork] = Field(default_factory=list)  # a vetted internal CDN
    ca_bundle: Path | None = None
    fetch_avatars: bool = True
    # "http://proxy.example:3128"; unset: HTTPS_PROXY / HTTP_PROXY / NO_PROXY (docs/media.md).
    proxy: str | None = None


class PurposeLimit(_Strict):
    """Something the University must never be alerted on (docs/policy.md, "Purpose limits"):
    a finding about a post that matches (any of `words`, `patterns`, or a finding signal or
    label in `signals`) is not admitted, and its reason is recorded.

    What a limit protects is the expression (an opinion, a protest), not conduct that breaches
    the guidance on its own: a finding with any signal in `unless` (by default a threat) is
    still admitted. `categories` narrows the limit to some categories (empty: every one).
    """

    name: str = Field(min_length=1)
    reason: str = Field(min_length=1)
    words: list[str] = Field(default_factory=list)
    patterns: list[str] = Field(default_factory=list)
    signals: list[str] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=list)
    unless: list[str] = Field(default_factory=lambda: ["threat"])

    @field_validator("patterns")
    @classmethod
    def _patterns_compile(cls, value: list[str]) -> list[str]:
        import re

        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"{pattern!r} is not a valid regular expression: {exc}") from None
        return value

    @field_validator("categories")
    @classmethod
    def _known_categories(cls, value: list[str]) -> list[str]:
        from pipeline.core.models import Category

        known = {c.value for c in Category}
        unknown = [c for c in value if c not in known]
        if unknown:
            raise ValueError(f"unknown categories {', '.join(unknown)} "
                             f"(one of {', '.join(sorted(known))})")
        return value

    @model_validator(mode="after")
    def _matches_something(self) -> PurposeLimit:
        if not (self.words or self.patterns or self.signals):
            raise ValueError("a purpose limit needs words, patterns or signals to match")
        return self


class Retention(_Strict):
    """How long personal data is kept (docs/deploy.md); ages count from the post's creation.

    Posts (with the account history and works read from them) go after `posts_days`, and with
    them the hits still open (new, acknowledged). Closed hits (resolved, false positive,
    whitelisted) go after `closed_hits_days`. Hits the University is acting on (escalated,
    takedown requested) are kept until a reviewer moves them on, however old.
    """

    posts_days: int = Field(default=180, ge=1)
    closed_hits_days: int = Field(default=180, ge=1)


class OrgConfig(_Strict):
    organisation: Organisation
    media: MediaSettings = Field(default_factory=MediaSettings)
    search: dict[Platform, PlatformSearch] = Field(default_factory=dict)
    accounts: list[BrandedAccount] = Field(default_factory=list)
    protected_people: list[ProtectedPerson] = Field(default_factory=list)
    logos: list[ReferenceLogo] = Field(default_factory=list)
    confidential_markers: list[str] = Field(default_factory=list)
    protected_documents: Path | None = None
    id_patterns: dict[str, str] = Field(default_factory=dict)  # name -> regex (student/staff ids)
    detectors: dict[str, DetectorSettings] = Field(default_factory=dict)
    retention: Retention = Field(default_factory=Retention)
    # What the University must never be alerted on, whatever a detector finds.
    purpose_limits: list[PurposeLimit] = Field(default_factory=list)
    # The old single period, still read as both of `retention`'s (not together with it).
    retention_days: int | None = Field(default=None, ge=1)
    notifications: Notifications = Field(default_factory=Notifications)
    store: StoreConfig = Field(default_factory=StoreConfig)
    sources: list[SourceConfig] = Field(default_factory=list)
    # SQLite file, fetched media and evidence images; CRESTWATCH_DATA_DIR overrides it.
    data_dir: Path = Path("data")
    # Where this config came from; relative paths in it are resolved against its folder.
    base_dir: Path = Field(default=Path("."), exclude=True)
    # The file's name, for error messages that name file, key and problem.
    source: str = Field(default="<config>", exclude=True)

    @model_validator(mode="after")
    def _old_retention_days(self) -> OrgConfig:
        if self.retention_days is None:
            return self
        if "retention" in self.model_fields_set:
            raise ValueError(
                "retention_days is the old spelling of retention (both posts_days and "
                "closed_hits_days); give retention only"
            )
        days = self.retention_days
        self.retention = Retention(posts_days=days, closed_hits_days=days)
        return self

    @field_validator("id_patterns")
    @classmethod
    def _patterns_compile(cls, value: dict[str, str]) -> dict[str, str]:
        import re

        for name, pattern in value.items():
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(
                    f"pattern {name!r} is not a valid regular expression: {exc}"
                ) from None
        return value

    def resolve(self, path: Path | str) -> Path:
        path = Path(path)
        return path if path.is_absolute() else (self.base_dir / path).resolve()

    def data_path(self) -> Path:
        import os

        override = os.environ.get("CRESTWATCH_DATA_DIR")
        return Path(override).resolve() if override else self.resolve(self.data_dir)

    def detector(self, name: str) -> DetectorSettings:
        return self.detectors.get(name, DetectorSettings())

    def registered(
        self, platform: str, handle: str | None = None, account_id: str | None = None
    ) -> BrandedAccount | None:
        """The registry entry for an account, by handle (any case, with or without "@") or by
        its platform id; the one lookup every part uses."""
        wanted = (handle or "").lstrip("@").casefold()
        for account in self.accounts:
            if account.platform != platform:
                continue
            if wanted and account.handle.lstrip("@").casefold() == wanted:
                return account
            if account_id is not None and account.platform_id == str(account_id):
                return account
        return None

    def protected_handle(self, platform: str, handle: str) -> ProtectedPerson | None:
        """The protected person who owns this handle on this platform, if any."""
        wanted = handle.lstrip("@").casefold()
        for person in self.protected_people:
            own = person.handles.get(platform)
            if own and own.lstrip("@").casefold() == wanted:
                return person
        return None


def _key_path(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(top level)"


def parse_config(data: Any, *, source: str = "<config>", base_dir: Path | None = None) -> OrgConfig:
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: (top level): expected a mapping, got {type(data).__name__}")
    try:
        config = OrgConfig.model_validate(data)
    except ValidationError as exc:
        problems = [f"{source}: {_key_path(e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise ConfigError("\n".join(problems)) from None
    config.base_dir = base_dir or Path(".")
    config.source = source
    return config


def load_config(path: Path | str | None = None) -> OrgConfig:
    """Load and validate the organisation config (the bundled example when no path is given)."""
    path = Path(path) if path else DEFAULT_CONFIG
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        data = _load_yaml(text)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(unknown place)"
        problem = getattr(exc, "problem", exc)
        raise ConfigError(f"{path}: {where}: not valid YAML: {problem}") from None
    config = parse_config(data, source=str(path), base_dir=path.resolve().parent)
    _check_files(config)
    return config


# A config has no need for more: a few anchors at most. Aliases of aliases expand
# exponentially when validated (a "billion laughs" config ran to 1.5 GB).
MAX_ALIASES = 100


class _StrictLoader(yaml.SafeLoader):
    """Safe YAML that refuses a key given twice in one mapping (the second would silently win)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, Any] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)  # type: ignore[no-untyped-call]
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r} (first at line {seen[key] + 1})",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)


def _load_yaml(text: str) -> Any:
    aliases = sum(isinstance(event, yaml.AliasEvent) for event in yaml.parse(text))
    if aliases > MAX_ALIASES:
        raise ConfigError(f"too many YAML aliases ({aliases}, at most {MAX_ALIASES})")
    return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass


def _check_files(config: OrgConfig) -> None:
    """Files and folders the config names must exist: a typo would otherwise turn a part off
    without a word (no protected documents, a logo never matched)."""
    named: list[tuple[str, Path, bool]] = [
        (f"logos.{i}.path", logo.path, False) for i, logo in enumerate(config.logos)
    ]
    named += [(f"accounts.{i}.avatar", a.avatar, False)
              for i, a in enumerate(config.accounts) if a.avatar is not None]
    if config.protected_documents is not None:
        named.append(("protected_documents", config.protected_documents, True))
    # Source files are not checked: a drop folder's file may appear later, and a missing one
    # fails that source's task alone, not every task that reads the config.
    problems = []
    for key, path, folder in named:
        resolved = config.resolve(path)
        ok = resolved.is_dir() if folder else resolved.is_file()
        if not ok:
            what = "folder" if folder else "file"
            problems.append(f"{config.source}: {key}: {what} not found: {resolved}")
    if problems:
        raise ConfigError("\n".join(problems))
