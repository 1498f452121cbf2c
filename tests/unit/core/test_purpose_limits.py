"""Purpose limits: what the University must never be alerted on. A matching finding is not
admitted, its reason is recorded and the run summary counts it; a threat is still alerted on."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from detectors.base import Detector
from pipeline.core.config import ConfigError, OrgConfig, PurposeLimit, parse_config
from pipeline.core.models import Category, Finding, Post
from pipeline.policy.engine import Policy
from pipeline.run.runner import run_pass
from pipeline.sources.jsonl import JsonlSource
from pipeline.store.sqlite import SQLiteStore
from tests.factories import make_post

PROTEST = PurposeLimit(
    name="lawful protest",
    reason="lawful protest and political opinion are not breaches of the staff guidance",
    words=["protest", "picket", "#ucustrike"], signals=["political"],
    categories=["harassment", "complaints_legal"],
)
PROTEST_POST = "Join the picket at the Mile End gate on Friday, the managers are clowns #UCUstrike"
THREAT_POST = "At the protest on Friday I will hurt the vice-principal, and I know where he lives"


class Flagger(Detector):
    """Flags every post as harassment; a post that says "hurt" carries the signal `threat`."""

    name = "harassment"
    categories = (Category.harassment,)

    def detect(self, posts: Sequence[Post]) -> list[Finding]:
        return [Finding(post_id=p.doc_id, detector=self.name, category=Category.harassment,
                        score=0.9, explanation="insulting",
                        signals=["threat"] if "hurt" in p.text else ["insult"])
                for p in posts]


def _limited(config: OrgConfig) -> OrgConfig:
    return config.model_copy(update={"purpose_limits": [PROTEST]}, deep=True)


def _finding(post: Post, *, signals: Sequence[str] = ("insult",),
             category: Category = Category.harassment, labels: Sequence[str] = ()) -> Finding:
    return Finding(post_id=post.doc_id, detector="harassment", category=category, score=0.9,
                   explanation="e", signals=list(signals), evidence={"labels": list(labels)})


def test_a_protest_post_flagged_as_harassment_is_not_alerted_on(example_config):
    post = make_post(1, text=PROTEST_POST)
    decision = Policy(_limited(example_config)).decide(_finding(post), post)
    assert not decision.admitted
    assert decision.suppressed_by == "purpose limit: lawful protest"
    assert decision.reasons[0] == ("purpose limit 'lawful protest': lawful protest and political "
                                   "opinion are not breaches of the staff guidance")
    # Without the limit the same finding is an alert.
    assert Policy(example_config).decide(_finding(post), post).admitted


def test_a_threat_inside_a_protest_post_is_still_alerted_on(example_config):
    post = make_post(1, text=THREAT_POST)
    decision = Policy(_limited(example_config)).decide(_finding(post, signals=["threat"]), post)
    assert decision.admitted and decision.suppressed_by is None


@pytest.mark.parametrize(("text", "signals", "labels", "category", "limited"), [
    ("Protesters outside Queen's Building", (), (), Category.harassment, False),  # a longer word
    ("#protest at noon", (), (), Category.harassment, True),  # a hashtag of a word
    ("PICKET line today", (), (), Category.harassment, True),  # any case
    ("Nothing to see", ("political",), (), Category.harassment, True),  # a signal
    ("Nothing to see", (), ("political",), Category.harassment, True),  # a detector's label
    ("Join the picket", (), (), Category.personal_data, False),  # not a category it covers
])
def test_what_a_limit_matches(example_config, text, signals, labels, category, limited):
    post = make_post(1, text=text)
    finding = _finding(post, signals=signals or ("insult",), labels=labels, category=category)
    decision = Policy(_limited(example_config)).decide(finding, post)
    assert (decision.suppressed_by == "purpose limit: lawful protest") is limited


def test_the_run_summary_counts_what_a_purpose_limit_kept_back(config, tmp_path):
    path = tmp_path / "posts.jsonl"
    path.write_text("".join(make_post(n, text=t).model_dump_json() + "\n" for n, t in
                            ((1, PROTEST_POST), (2, THREAT_POST), (3, "You are all idiots"))))
    store = SQLiteStore(tmp_path / "store.sqlite")
    store.setup()
    cfg = _limited(config)
    summary = run_pass([JsonlSource(path)], store=store, detectors=[Flagger(cfg)],
                       policy=Policy(cfg))
    assert summary.suppressed == {("harassment", "purpose limit: lawful protest"): 1}
    assert sorted(h.post_id for h in store.search_hits()) == ["x:2", "x:3"]
    store.close()


@pytest.mark.parametrize(("limit", "message"), [
    ({"name": "p", "reason": "r"}, "purpose_limits.0: Value error, a purpose limit needs words, "
                                   "patterns or signals to match"),
    ({"name": "p", "reason": "r", "patterns": ["(unclosed"]},
     "purpose_limits.0.patterns: Value error, '(unclosed' is not a valid regular expression"),
    ({"name": "p", "reason": "r", "words": ["x"], "categories": ["opinions"]},
     "purpose_limits.0.categories: Value error, unknown categories opinions"),
    ({"name": "p", "words": ["x"]}, "purpose_limits.0.reason: Field required"),
])
def test_a_bad_purpose_limit_is_refused_naming_the_key(limit, message):
    org = {"organisation": {"name": "Q", "short_name": "Q"}, "purpose_limits": [limit]}
    with pytest.raises(ConfigError) as info:
        parse_config(org)
    assert str(info.value).startswith(f"<config>: {message}")
