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

    from pipeline.core.models import Hit
    from pipeline.review.workflow import Reviewer
    from pipeline.store.base import Store

review_app = typer.Typer(help="Review hits: list, show, change status, assign, note.",
                         no_args_is_help=True)
feedback_app = typer.Typer(help="Reviewed hits as labelled data.", no_args_is_help=True)
# Tables stay readable when the output goes to a pipe or a file.
out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 160)
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
    from pipeline.cli.common import config_or_exit
    from pipeline.store import open_store

    return open_store(config_or_exit(config), backend=store, url=es_url)


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


@review_app.command("list")
def list_command(
    status: Annotated[list[str] | None, typer.Option(help="Repeatable.")] = None,
    category: Annotated[list[str] | None, typer.Option(help="Repeatable.")] = None,
    platform: Annotated[list[str] | None, typer.Option(help="Repeatable.")] = None,
    risk: Annotated[list[str] | None, typer.Option(help="Repeatable.")] = None,
    since: Annotated[str | None, typer.Option(help="24h, 7d or an ISO time (last seen).")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    config: Config = None,
    store: StoreOpt = None,
    es_url: EsUrl = None,
) -> None:
    """Hits, newest first, filtered."""
    from pipeline.store.base import HitQuery

    query = HitQuery(status=status or [], category=category or [], platform=platform or [],
                     risk=risk or [], since=_since(since), limit=limit)
    with _open(config, store, es_url) as target:
        hits = target.search_hits(query)
        total = target.count_hits(query)
    if as_json:
        for hit in hits:
            sys.stdout.write(hit.model_dump_json() + "\n")
        return
    table = Table(title=f"{len(hits)} of {total} hits")
    for column in ("id", "last seen", "status", "risk", "category", "platform", "author",
                   "explanation"):
        table.add_column(column, overflow="fold")
    for hit in hits:
        table.add_row(hit.id, hit.last_seen.strftime("%Y-%m-%d %H:%M"), hit.status.value,
                      hit.risk, hit.category.value, hit.platform, f"@{hit.author_handle}",
                      hit.explanation[:120])
    out.print(table)


@review_app.command("show")
def show_command(
    hit_id: str,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    config: Config = None, store: StoreOpt = None, es_url: EsUrl = None,
) -> None:
    """One hit: post, author, evidence, explanation, review state and audit trail."""
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
    out.print(f"[bold]{hit.category.value}[/bold] ({hit.detector}) risk {hit.risk}, "
              f"score {hit.score:.2f}, status {hit.status.value}")
    out.print(hit.explanation, highlight=False)
    out.print(f"post {hit.post_id} {hit.post_url or ''}", highlight=False)
    out.print(f"by @{hit.author_handle} ({hit.author_display_name or ''}) at "
              f"{hit.post_created_at.isoformat()}", highlight=False)
    if post and post.author.description:
        out.print(f"bio: {post.author.description}", highlight=False)
    out.print(f"text: {hit.post_text}", highlight=False)
    out.print("evidence:", json.dumps(hit.evidence, indent=2, ensure_ascii=False),
              highlight=False)
    out.print(f"first seen {hit.first_seen.isoformat()}, last seen {hit.last_seen.isoformat()}, "
              f"assignee {hit.assignee or '-'}, tags {', '.join(hit.tags) or '-'}")
    for note in hit.notes:
        out.print(f"note by {note.get('by')} at {note.get('at')}: {note.get('text')}",
                  highlight=False)
    for entry in trail:
        out.print(f"audit {entry.at.isoformat()} {entry.actor} {entry.action} {entry.changes}",
                  highlight=False)


def _review(config: Path | None, store: str | None, es_url: str | None, actor: str,
            act: Callable[[Reviewer], Hit]) -> None:
    from pipeline.review.workflow import Reviewer, ReviewError
    from pipeline.store.base import StoreError

    with _open(config, store, es_url) as target:
        try:
            hit = act(Reviewer(target, _actor(actor)))
        except (ReviewError, StoreError) as exc:
            raise _fail(str(exc)) from None
    out.print(f"{hit.id}: status {hit.status.value}, risk {hit.risk}, "
              f"assignee {hit.assignee or '-'}")


@review_app.command("status")
def status_command(
    hit_id: str, status: str,
    note: Annotated[str | None, typer.Option(help="Why, for the audit trail.")] = None,
    actor: Actor = "", config: Config = None, store: StoreOpt = None, es_url: EsUrl = None,
) -> None:
    """Move a hit on: acknowledged, escalated, takedown_requested, resolved, false_positive,
    whitelisted (whitelisting also stops future hits from that account or image)."""
    _review(config, store, es_url, actor, lambda r: r.set_status(hit_id, status, note=note))


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
