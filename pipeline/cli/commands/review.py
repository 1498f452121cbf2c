"""`crestwatch review` (list, show, status, assign, risk, tag, note) and `crestwatch feedback`."""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from collections.abc import Callable

    from pipeline.core.models import AuditEntry, Hit, Post
    from pipeline.review.workflow import Reviewer
    from pipeline.store.base import Store

review_app = typer.Typer(help="Review hits: list, show, change status, assign, note.",
                         no_args_is_help=True)
feedback_app = typer.Typer(help="Reviewed hits as labelled data.", no_args_is_help=True)
err = Console(stderr=True, soft_wrap=True)

Config = Annotated[Path | None, typer.Option("--config", "-c", help="Organisation config.")]
StoreOpt = Annotated[str | None, typer.Option("--store", help="sqlite or elasticsearch.")]
EsUrl = Annotated[str | None, typer.Option("--es-url", help="Elasticsearch URL.")]
Actor = Annotated[
    str,
    typer.Option("--as", help="Your name for the audit trail (default: $CRESTWATCH_REVIEWER "
                 "or $USER)."),
]


def register(app: typer.Typer) -> None:
    app.add_typer(review_app, name="review")
    app.add_typer(feedback_app, name="feedback")


def _open(config: Path | None, store: str | None, es_url: str | None) -> Store:
    from pipeline.cli.common import config_or_exit, open_store_or_exit

    return open_store_or_exit(config_or_exit(config), backend=store, url=es_url)


def _actor(name: str) -> str:
    return name or os.environ.get("CRESTWATCH_REVIEWER") or os.environ.get("USER") or ""


def _since(value: str | None) -> datetime | None:
    """'24h', '7d', '90m' or an ISO 8601 time."""
    if not value:
        return None
    units = {"m": "minutes", "h": "hours", "d": "days"}
    if value[-1:] in units and value[:-1].isdigit():
        return datetime.now(UTC) - timedelta(**{units[value[-1]]: int(value[:-1])})
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r}: use 24h, 7d, 90m or an ISO 8601 time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _fail(message: str) -> typer.Exit:
    err.print(f"[red]{message}[/red]", highlight=False)
    return typer.Exit(1)


PLATFORMS = ("x", "reddit", "bluesky", "mastodon")
WHITELIST_SCOPES = ("category", "account", "image")  # as pipeline.review.workflow names them
ELLIPSIS = "…"
_AUTHOR_WIDTH = 24


def _check(option: str, values: list[str] | None, valid: tuple[str, ...]) -> list[str]:
    """The values as given, or a usage error naming the valid ones (and the nearest)."""
    import difflib

    for value in values or []:
        if value not in valid:
            near = difflib.get_close_matches(value, valid, n=1, cutoff=0.4) or [
                v for v in valid if v.startswith(value) or value in v][:1]
            hint = f" (did you mean {near[0]}?)" if near else ""
            raise typer.BadParameter(f"unknown value {value!r}{hint}; one of: "
                                     f"{', '.join(valid)}", param_hint=f"--{option}")
    return values or []


def _console() -> Console:
    """Standard output at the terminal's width; 160 columns into a pipe or a file unless
    COLUMNS says otherwise."""
    wide = sys.stdout.isatty() or os.environ.get("COLUMNS", "").isdigit()
    return Console(width=None if wide else 160, highlight=False)


def _cut(text: str, width: int, lines: int = 1) -> str:
    """`text` on at most `lines` lines of `width`, the last one ending in … when cut."""
    import textwrap

    from rich.cells import cell_len

    wrapped = textwrap.wrap(text, width=max(4, width), max_lines=lines, placeholder=" " + ELLIPSIS)
    if not wrapped:
        return ""
    last = wrapped[-1]
    while cell_len(last) > width:  # wide characters (emoji, CJK) count twice
        last = last[:-2].rstrip() + ELLIPSIS
    wrapped[-1] = last
    return "\n".join(wrapped)


def _other_name(hit: Hit) -> bool:
    """Whether the display name says more than the handle."""
    name = (hit.author_display_name or "").strip().casefold()
    return bool(name) and name != hit.author_handle.lstrip("@").casefold()


def list_table(hits: list[Hit], total: int, width: int) -> Table:
    """The hits as a table that fits `width` columns: whole ids, one row of two or three lines
    per hit, cut text ending in an ellipsis."""
    from rich import box
    from rich.text import Text

    from pipeline.review.display import account, safe

    authors = [_cut(account(h.author_handle), _AUTHOR_WIDTH) for h in hits]
    widths = [
        20,  # hit ids are 20 characters: never shortened, never wrapped
        max([6, *(max(len(h.risk), len(h.status.value)) for h in hits)]),
        max([8, *(max(len(h.category.value), len(h.platform)) for h in hits)]),
        max([6, *(len(a) for a in authors)]),
    ]
    # Three characters between columns; the rest is the explanation and the post's text.
    text_width = max(20, width - sum(widths) - 3 * len(widths))
    table = Table(title=f"{len(hits)} of {total} hits, latest detections first",
                  box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, show_lines=True,
                  title_justify="left")
    for name, size in zip(("hit\nposted", "risk\nstatus", "category\nplatform", "author"),
                          widths, strict=True):
        table.add_column(name, width=size, no_wrap=True, overflow="ellipsis")
    table.add_column("what was found\nthe post", width=text_width, no_wrap=True,
                     overflow="ellipsis")
    for hit, author in zip(hits, authors, strict=True):
        what = Text(_cut(safe(hit.explanation), text_width, lines=2))
        if hit.post_text:
            what.append("\n" + _cut(safe(hit.post_text), text_width), style="dim")
        table.add_row(
            Text(f"{hit.id}\n{hit.post_created_at:%d %b %Y %H:%M}"),
            Text(f"{hit.risk}\n{hit.status.value}"),
            Text(f"{hit.category.value}\n{hit.platform}"),
            Text(author + ("\n" + _cut(safe(hit.author_display_name, handle=True),
                                        _AUTHOR_WIDTH) if _other_name(hit) else "")),
            what,
        )
    return table


@review_app.command("list")
def list_command(
    status: Annotated[list[str] | None, typer.Option(help="Repeatable: new, acknowledged, "
                                                     "escalated, ...")] = None,
    category: Annotated[list[str] | None, typer.Option(help="Repeatable: harassment, "
                                                       "logo_misuse, ...")] = None,
    platform: Annotated[list[str] | None, typer.Option(help="Repeatable.")] = None,
    risk: Annotated[list[str] | None, typer.Option(help="Repeatable: critical, high, medium, "
                                                   "low, info.")] = None,
    since: Annotated[str | None, typer.Option(help="24h, 7d or an ISO time (last seen).")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    config: Config = None,
    store: StoreOpt = None,
    es_url: EsUrl = None,
) -> None:
    """Hits, latest detections first, filtered; each with its post's date and text."""
    from pipeline.core.models import Category, Status
    from pipeline.review.workflow import RISKS
    from pipeline.store.base import HitQuery

    query = HitQuery(status=_check("status", status, tuple(s.value for s in Status)),
                     category=_check("category", category, tuple(c.value for c in Category)),
                     platform=_check("platform", platform, PLATFORMS),
                     risk=_check("risk", risk, RISKS), since=_since(since), limit=limit)
    with _open(config, store, es_url) as target:
        hits = target.search_hits(query)
        total = target.count_hits(query)
    if as_json:
        for hit in hits:
            sys.stdout.write(hit.model_dump_json() + "\n")
        return
    console = _console()
    console.print(list_table(hits, total, console.width))


def show_hit(console: Console, hit: Hit, post: Post | None, trail: list[AuditEntry]) -> None:
    """One hit for a reader: what was found and why, the post, the evidence in words, the review
    state and the audit trail. Nothing from the post is read as markup or control codes."""
    from rich.table import Table as Grid
    from rich.text import Text

    from pipeline.review.display import account, audit_line, evidence_lines, safe

    def section(title: str) -> None:
        console.print(Text(title, style="bold"))

    console.print(Text.assemble(
        (hit.category.value, "bold"), f" · risk {hit.risk} · status {hit.status.value} · "
        f"hit {hit.id} ({hit.detector}, score {hit.score:.2f})"))
    console.print(Text(safe(hit.explanation)))
    reasons = (hit.model_extra or {}).get("decision") or getattr(hit, "decision", None) or {}
    if isinstance(reasons, dict) and reasons.get("reasons"):
        console.print(Text("why this risk: " + "; ".join(map(str, reasons["reasons"])),
                           style="dim"))
    grid = Grid.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    author = post.author if post else None
    grid.add_row("post", Text(f"{hit.post_id}  {hit.post_url or ''}".strip()))
    who = account(hit.author_handle, hit.author_display_name)
    if author and author.followers is not None:
        who += f" · {author.followers:,} followers"
    grid.add_row("by", Text(who))
    grid.add_row("posted", Text(f"{hit.post_created_at:%a %d %b %Y %H:%M} UTC"))
    if author and author.description:
        grid.add_row("bio", Text(safe(author.description)))
    grid.add_row("text", Text(safe(hit.post_text) or "(no text)"))
    console.print(grid)
    lines = evidence_lines(hit.evidence)
    if lines:
        section("Evidence")
        evidence = Grid.grid(padding=(0, 2))
        evidence.add_column(no_wrap=True, style="cyan")
        evidence.add_column(overflow="fold")  # paths and links are shown whole
        for what, detail in lines:
            evidence.add_row(f"  {what}", Text(detail))
        console.print(evidence)
    section("Review")
    console.print(Text(
        f"  first seen {hit.first_seen:%d %b %Y %H:%M}, last seen {hit.last_seen:%d %b %Y %H:%M}"
        f"; assignee {safe(hit.assignee) or '-'}; tags {', '.join(hit.tags) or '-'}"))
    for note in hit.notes:
        console.print(Text(f"  note by {safe(str(note.get('by')))} "
                           f"({str(note.get('at', ''))[:16].replace('T', ' ')}): "
                           f"{safe(str(note.get('text')))}"))
    if trail:
        section("Audit trail")
        for entry in trail:
            console.print(Text("  " + audit_line(entry)))
    console.print(Text(f"Everything, as stored: crestwatch review show {hit.id} --json",
                       style="dim"))


@review_app.command("show")
def show_command(
    hit_id: str,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    config: Config = None, store: StoreOpt = None, es_url: EsUrl = None,
) -> None:
    """One hit: what was found, the post and its author, the evidence in words, the review
    state and the audit trail (--json: everything as stored)."""
    with _open(config, store, es_url) as target:
        hit = target.get_hit(hit_id)
        if hit is None:
            raise _fail(f"no hit with id {hit_id!r}")
        post = target.get_post(hit.post_id)
        trail = target.audit_trail(hit_id)
    if as_json:
        sys.stdout.write(json.dumps({
            "hit": hit.model_dump(mode="json"),
            "post": post.model_dump(mode="json") if post else None,
            "audit": [e.model_dump(mode="json") for e in trail],
        }, indent=2, ensure_ascii=False) + "\n")
        return
    show_hit(_console(), hit, post, trail)


def _review(config: Path | None, store: str | None, es_url: str | None, actor: str,
            act: Callable[[Reviewer], Hit]) -> Hit:
    from pipeline.review.workflow import Reviewer, ReviewError
    from pipeline.store.base import StoreError

    with _open(config, store, es_url) as target:
        try:
            hit = act(Reviewer(target, _actor(actor)))
        except (ReviewError, StoreError) as exc:
            raise _fail(str(exc)) from None
    from rich.text import Text

    from pipeline.review.display import safe

    _console().print(Text(f"{hit.id}: status {hit.status.value}, risk {hit.risk}, "
                          f"assignee {safe(hit.assignee) or '-'}"))
    return hit


def _whitelist_choices(config: Path | None, store: str | None, es_url: str | None,
                       hit_id: str) -> None:
    """Whitelisting without --scope: say what each scope would cover, and stop."""
    from pipeline.review.display import safe
    from pipeline.review.workflow import ReviewError, describe_entry, whitelist_entries

    with _open(config, store, es_url) as target:
        hit = target.get_hit(hit_id)
    if hit is None:
        raise _fail(f"no hit with id {hit_id!r}")
    choices = []
    for scope in WHITELIST_SCOPES:
        try:
            entries = whitelist_entries(hit, scope)
        except ReviewError:
            continue
        choices.append(f"  --scope {scope}: " + safe(
            "; ".join(describe_entry(kind, value, hit) for kind, value in entries)))
    raise typer.BadParameter("whitelisting needs --scope, one of:\n" + "\n".join(choices),
                             param_hint="--scope")


@review_app.command("status")
def status_command(
    hit_id: str, status: str,
    note: Annotated[str | None, typer.Option(help="Why, for the audit trail.")] = None,
    scope: Annotated[str | None, typer.Option(
        help="Required with whitelisted: category (this account, this hit's category), account "
             "(this account, every category) or image (this image, any account).")] = None,
    actor: Actor = "", config: Config = None, store: StoreOpt = None, es_url: EsUrl = None,
) -> None:
    """Move a hit on: acknowledged, escalated, takedown_requested, resolved, false_positive,
    whitelisted. Whitelisting also stops future hits, as far as --scope says: this account in
    this hit's category, this account in every category, or this image."""
    from rich.text import Text

    from pipeline.review.display import safe
    from pipeline.review.workflow import describe_entry, whitelist_entries

    if scope is not None:
        _check("scope", [scope], WHITELIST_SCOPES)
    elif status == "whitelisted":
        _whitelist_choices(config, store, es_url, hit_id)
    hit = _review(config, store, es_url, actor,
                  lambda r: r.set_status(hit_id, status, note=note, scope=scope))
    if hit.status.value == "whitelisted":
        for kind, value in whitelist_entries(hit, scope):
            _console().print(Text("whitelist: " + safe(describe_entry(kind, value, hit))))


@review_app.command("assign")
def assign_command(
    hit_id: str, assignee: str,
    actor: Actor = "", config: Config = None, store: StoreOpt = None, es_url: EsUrl = None,
) -> None:
    """Assign a hit to someone ('-' to unassign)."""
    _review(config, store, es_url, actor,
            lambda r: r.assign(hit_id, None if assignee == "-" else assignee))


@review_app.command("risk")
def risk_command(
    hit_id: str, risk: str,
    actor: Actor = "", config: Config = None, store: StoreOpt = None, es_url: EsUrl = None,
) -> None:
    """Set the risk: critical, high, medium, low, info."""
    _review(config, store, es_url, actor, lambda r: r.set_risk(hit_id, risk))


@review_app.command("tag")
def tag_command(
    hit_id: str, tags: list[str],
    actor: Actor = "", config: Config = None, store: StoreOpt = None, es_url: EsUrl = None,
) -> None:
    """Add tags to a hit."""
    _review(config, store, es_url, actor, lambda r: r.tag(hit_id, *tags))


@review_app.command("note")
def note_command(
    hit_id: str, text: str,
    actor: Actor = "", config: Config = None, store: StoreOpt = None, es_url: EsUrl = None,
) -> None:
    """Add a note to a hit."""
    _review(config, store, es_url, actor, lambda r: r.add_note(hit_id, text))


@feedback_app.command("export")
def export_command(
    output: Annotated[Path | None, typer.Option("--output", "-o",
                                                help="File to write (default stdout).")] = None,
    config: Config = None, store: StoreOpt = None, es_url: EsUrl = None,
) -> None:
    """Confirmed and dismissed hits as labelled JSONL (the format `crestwatch eval` reads)."""
    from pipeline.review.workflow import export_feedback

    with _open(config, store, es_url) as target:
        if output is None:
            count = export_feedback(target, sys.stdout)
        else:
            with output.open("w", encoding="utf-8") as handle:
                count = export_feedback(target, handle)
    err.print(f"{count} reviewed hits exported")
