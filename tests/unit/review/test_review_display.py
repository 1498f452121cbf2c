"""What `crestwatch review list` and `show` print: readable at 120 columns, nothing hidden or
rearranged by what a post contains, evidence and the audit trail in words, whitelisting scoped."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from rich.cells import cell_len
from typer.testing import CliRunner

from pipeline.cli.app import app
from pipeline.core.models import Category, Severity
from pipeline.review.display import account, evidence_lines, safe
from pipeline.store.sqlite import SQLiteStore
from tests.factories import BASE_TIME, make_hit

runner = CliRunner()
LONG = ("Post shows personal details (phone number, home address and date of birth) next to "
        "Professor Helena Marsh, a protected person, in a thread that has been shared widely.")


class Data:
    """The seeded store, opened for each look (the CLI opens it too)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def search_hits(self):
        store = SQLiteStore(self.path)
        try:
            return store.search_hits()
        finally:
            store.close()

    def whitelist(self):
        store = SQLiteStore(self.path)
        try:
            return store.whitelist()
        finally:
            store.close()


@pytest.fixture()
def data(tmp_path: Path, monkeypatch) -> Data:
    monkeypatch.setenv("CRESTWATCH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CRESTWATCH_REVIEWER", "amira")
    store = SQLiteStore(tmp_path / "data" / "crestwatch.sqlite")
    store.setup()
    hits = []
    for n in range(1, 7):
        hit = make_hit(n, category=Category.personal_data, detector="personal_data",
                       severity=Severity.critical, author_id=str(40 + n),
                       created_at=BASE_TIME - timedelta(days=n),
                       text=f"Post {n}: " + "she lives at 1 Mile End Road and works late " * 4)
        hit.explanation = LONG
        hits.append(hit)
    deleted = make_hit(7, author_id="[deleted]", platform="reddit")
    deleted.author_handle, deleted.author_display_name = "[deleted]", None
    deleted.post_text = "[red]not markup[/red] and \x1b[2J a terminal escape"
    sneaky = make_hit(8, category=Category.impersonation, detector="impersonation",
                      author_id="66")
    sneaky.author_handle = "QMUL\u202eniaga"  # renders as "QMULagain" reversed
    sneaky.author_display_name = "QMUL\u2066 Office\u2069"
    sneaky.evidence = {
        "labels": ["lookalike_name", "new_account"], "matched_account": "@QMUL",
        "signals": [{"signal": "lookalike_name", "weight": 0.8,
                     "detail": "handle 'QMULniaga' resembles registered @QMUL"}],
    }
    harassment = make_hit(9, author_id="77")
    harassment.evidence = {
        "labels": ["identity_attack", "offensive", "threat"],
        "label_scores": {"identity_attack": 0.17, "offensive": 0.0, "threat": 0.9},
        "spans": [{"start": 0, "end": 21, "text": "I know where you live"}],
    }
    logo = make_hit(10, category=Category.logo_misuse, detector="logo", author_id="66")
    logo.evidence = {"reference": "qmul/crest", "brand": "qmul", "variant": "crest",
                     "media_index": -1, "method": "features", "inliers": 29, "polygon": [[0, 0]],
                     "labels": ["logo_misuse"]}
    store.upsert_hits([*hits, deleted, sneaky, harassment, logo])
    store.close()
    return Data(tmp_path / "data" / "crestwatch.sqlite")


def invoke(*args: str, columns: int = 120):
    return runner.invoke(app, ["review", *args], env={"COLUMNS": str(columns)})


@pytest.mark.parametrize("columns", [120, 200])
def test_list_fits_the_terminal_with_whole_ids_and_ellipses(data, columns):
    result = invoke("list", columns=columns)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert max(cell_len(line.rstrip()) for line in lines) <= columns
    ids = {h.id for h in data.search_hits()}
    printed = set(re.findall(r"^([0-9a-f]{20})\s", result.stdout, re.M))
    assert printed == ids  # every id whole, at the start of its own line
    # The long explanation is cut on a word, with an ellipsis, and the post's date is shown.
    cut = [line for line in lines if "Professor Helena" in line or "Post shows" in line]
    assert cut and any(line.rstrip().endswith("…") for line in lines)
    assert (BASE_TIME - timedelta(days=1)).strftime("%d %b %Y") in result.stdout
    assert "she lives at" in result.stdout  # the post's text has its line


def test_deleted_authors_markup_and_control_characters_are_shown_not_obeyed(data):
    listed = invoke("list").stdout
    assert "[deleted] (account" in listed
    assert "\x1b" not in listed and "\u202e" not in listed and "\u2066" not in listed
    assert "QMUL<U+202E>niaga" in listed
    deleted = next(h for h in data.search_hits() if h.author_handle == "[deleted]")
    shown = invoke("show", deleted.id).stdout
    assert "by      [deleted] (account deleted or unknown)" in shown
    assert "[red]not markup[/red] and <U+001B>[2J a terminal escape" in shown


def test_show_tells_the_evidence_in_words(data):
    harassment = next(h for h in data.search_hits() if h.id == make_hit(9).id)
    shown = invoke("show", harassment.id).stdout
    assert re.search(r"found\s+threat *\n", shown)  # 0.17 and 0.0 are not findings
    assert "identity attack" not in shown and "offensive" not in shown.split("Evidence")[1]
    assert "“I know where you live”" in shown
    assert "{" not in shown and "label_scores" not in shown
    logo = next(h for h in data.search_hits() if h.category is Category.logo_misuse)
    shown = invoke("show", logo.id).stdout
    assert "qmul crest in the author's avatar" in shown
    assert "inliers" not in shown and "polygon" not in shown


@pytest.mark.parametrize(("option", "value", "named"), [
    ("--category", "logo", "did you mean logo_misuse?"),
    ("--risk", "urgent", "critical, high, medium, low, info"),
    ("--status", "open", "new, acknowledged, escalated"),
    ("--platform", "twitter", "x, reddit, bluesky, mastodon"),
])
def test_bad_filters_name_the_valid_values(data, option, value, named):
    result = invoke("list", option, value)
    assert result.exit_code == 2
    assert named in re.sub(r"\s*│\s*", " ", result.stderr)


def test_whitelisting_says_what_it_covers_and_covers_only_that(data):
    logo = next(h for h in data.search_hits() if h.category is Category.logo_misuse)
    unscoped = invoke("status", logo.id, "whitelisted")
    assert unscoped.exit_code == 2 and not data.whitelist()
    choices = re.sub(r"\s*│\s*", " ", unscoped.stderr)
    assert "whitelisting needs --scope, one of:" in choices
    assert "--scope category: no more logo_misuse hits from @user66" in choices
    assert "--scope account: no more hits from @user66 (x account 66) in any category" in choices
    result = invoke("status", logo.id, "whitelisted", "--scope", "category", "--note",
                    "their own fan page")
    assert result.exit_code == 0, result.output
    assert ("whitelist: no more logo_misuse hits from @user66 (x account 66); other categories "
            "still alert") in result.stdout
    assert data.whitelist() == {("account_category", "x:66/logo_misuse")}

    shown = invoke("show", logo.id).stdout
    trail = shown.split("Audit trail")[1]
    assert re.search(r"\d{2} \w{3} \d{4} \d{2}:\d{2} amira: status → whitelisted \(note: "
                     r"“their own fan page”\)", trail)
    assert "note by amira" in shown and "whitelisted: no more logo_misuse hits" in shown

    sneaky = next(h for h in data.search_hits() if h.category is Category.impersonation)
    wide = invoke("status", sneaky.id, "whitelisted", "--scope", "account")
    assert wide.exit_code == 0 and "in any category" in wide.stdout
    image = invoke("status", make_hit(9).id, "whitelisted", "--scope", "image")
    assert image.exit_code == 1 and "names no image to whitelist" in image.stderr
    bad = invoke("status", make_hit(9).id, "whitelisted", "--scope", "everything")
    assert bad.exit_code == 2 and "category, account, image" in bad.stderr


def test_the_policy_reads_a_category_entry_as_that_category_only(config):
    from pipeline.core.models import Finding
    from pipeline.policy.engine import Policy
    from pipeline.review.workflow import whitelist_entries
    from tests.factories import make_post

    logo = make_hit(10, category=Category.logo_misuse, detector="logo", author_id="66")
    policy = Policy(config, whitelist=whitelist_entries(logo, "category"))
    post = make_post(11, author_id="66")

    def finding(category: Category, detector: str) -> Finding:
        return Finding(post_id=post.doc_id, detector=detector, category=category, score=0.9,
                       explanation="a finding")

    assert policy.whitelisted(finding(Category.logo_misuse, "logo"), post)
    assert not policy.whitelisted(finding(Category.impersonation, "impersonation"), post)


@pytest.mark.parametrize(("raw", "shown"), [
    ("plain", "plain"),
    ("evil\u202etxt.exe", "evil<U+202E>txt.exe"),
    ("zero\u200bwidth", "zero<U+200B>width"),
    ("bell\x07", "bell<U+0007>"),
    ("two\nlines", "two lines"),
    ("family 👨\u200d👩\u200d👧", "family 👨\u200d👩\u200d👧"),  # emoji joiners kept in text
])
def test_safe_text(raw, shown):
    assert safe(raw) == shown


def test_accounts_and_labels():
    assert account("[deleted]") == "[deleted] (account deleted or unknown)"
    assert account("") == "no handle (account deleted or unknown)"
    assert account("a\u200db", "a\u200db") == "@a<U+200D>b"
    lines = dict(evidence_lines({"labels": ["threat", "offensive"],
                                 "label_scores": {"threat": 0.9, "offensive": 0.2}}))
    assert lines == {"found": "threat"}
