"""The harassment detector with the bundled model: bad input, targets, evidence, false positives."""

from __future__ import annotations

import json
import logging

from detectors.harassment.detector import HarassmentDetector
from detectors.harassment.model import ARTEFACT_DIR, ONNX_FILE
from detectors.registry import build_detectors
from pipeline.core.models import Severity
from pipeline.evaluation.labelled import LabelledPost, evaluate
from pipeline.run.runner import RunSummary, run_detectors
from tests.factories import decided, make_post

log = logging.getLogger(__name__)


def test_bad_input_does_not_crash_and_other_detectors_still_run(
    harassment_detector: HarassmentDetector,
) -> None:
    texts = {
        "empty": "",
        "huge": "strictly confidential " + "word " * 20_000,  # 100,000+ characters
        "emoji": "😂🔥💀" * 50,
        "scripts": "Привет QMUL مرحبا 你好 שלום hello",
        "surrogate": "strictly confidential \ud83d broken pair \udc00 end",
    }
    posts = [make_post(i, text=t) for i, t in enumerate(texts.values())]
    confidential = build_detectors(harassment_detector.config, ["confidential"])
    summary = RunSummary()
    findings = run_detectors(posts, [harassment_detector, *confidential], summary)
    assert summary.skipped == []
    flagged = {f.post_id for f in findings if f.detector == "confidential"}
    # The long and the broken post still get the other detector's findings.
    assert {posts[1].doc_id, posts[4].doc_id} <= flagged
    by_post = {f.post_id: f for f in findings if f.detector == "harassment"}
    assert posts[0].doc_id not in by_post  # nothing to judge in an empty post
    huge = by_post.get(posts[1].doc_id)
    if huge is not None:
        # Read whole, window by window: nothing under the text limit is cut.
        assert "truncated_at" not in huge.evidence
    for finding in by_post.values():
        json.dumps(finding.evidence)  # stored as JSON: must serialise
        assert 0.0 <= finding.score <= 1.0


def test_threat_at_a_protected_person_is_critical(harassment_detector: HarassmentDetector) -> None:
    plain = make_post(1, text="I know where you live, watch your back")
    aimed = make_post(2, text="@PriyaV_Physics I know where you live, watch your back")
    found = {f.post_id: f for f in harassment_detector.detect([plain, aimed])}
    config = harassment_detector.config
    assert decided(found[plain.doc_id], config, plain).severity == Severity.high
    critical = found[aimed.doc_id]
    assert decided(critical, config, aimed).severity == Severity.critical
    assert critical.evidence["matched_account"] == "PriyaV_Physics"
    assert critical.evidence["label_scores"]["threat"] >= 0.8
    assert "i know where you live" in critical.evidence["terms"]
    span = critical.evidence["spans"][0]
    assert aimed.text[span["start"] : span["end"]] == span["text"]
    assert "Dr Priya Venkataraman" in critical.explanation


def test_reply_to_a_university_account_is_a_target(
    harassment_detector: HarassmentDetector,
) -> None:
    post = make_post(3, text="you will regret this", in_reply_to_user_id="19094651")
    (finding,) = harassment_detector.detect([post])
    assert finding.evidence["targets"][0]["kind"] == "university_account"
    assert finding.evidence["targets"][0]["how"] == "replied_to"
    assert decided(finding, harassment_detector.config, post).severity.rank >= Severity.high.rank


def test_evidence_labels_feed_the_evaluation_contract(
    harassment_detector: HarassmentDetector,
) -> None:
    posts = [
        LabelledPost.model_validate({**make_post(i, text=text).model_dump(), "labels": labels})
        for i, (text, labels) in enumerate(
            [
                ("I'm going to kill you, I know where you live", ["harassment", "threat"]),
                ("Lovely sunny day at Mile End campus", []),
                ("The library opens at nine tomorrow", []),
            ]
        )
    ]
    report = evaluate(harassment_detector, posts)
    by_label = {m.label: m for m in report.labels}
    assert {"harassment", "threat", "offensive", "identity_attack", "targeted"} <= set(by_label)
    assert by_label["threat"].tp == 1 and by_label["threat"].fp == 0
    assert by_label["harassment"].recall == 1.0


# Posts a reviewer would want (True) or not (False), with where each case comes from. The
# benign ones are the classic false positives of keyword and toxicity monitors.
LABELLED_CASES = [
    (
        "@PriyaV_Physics you are a useless fucking idiot and everyone knows it",
        True,
        "targeted insult at a protected person (invented, OLID TIN/IND style)",
    ),
    (
        "Dr Achterberg is a pathetic clown, get out of our university",
        True,
        "targeted insult by name (invented)",
    ),
    ("shut up you stupid bitch nobody asked you", True, "targeted insult (OLID TIN style)"),
    (
        "@QMUL you are a bunch of corrupt lying bastards",
        True,
        "insult at a University account (invented)",
    ),
    ("I know where you live @SamOReid, watch your back", True, "threat (invented)"),
    ("kill yourself you worthless loser", True, "incitement to self-harm (invented)"),
    (
        'A man on the bus called me a "stupid bitch" today and nobody did anything',
        False,
        "reported abuse (victim's account)",
    ),
    (
        'Just got a DM saying "you are a worthless idiot". Reported and blocked.',
        False,
        "reported abuse (screenshot commentary)",
    ),
    (
        'He said "I know where you live" to a first year. Reported to security.',
        False,
        "reported threat",
    ),
    (
        "🎶 I don't give a fuck, call me a bad bitch 🎶 this song on repeat before my exam",
        False,
        "song lyric post (invented lyric, music emoji)",
    ),
    (
        "now playing: angry punk album, screaming fuck the system in the library 🎵",
        False,
        "music post",
    ),
    (
        "fucking love this place, graduation was the best day ever",
        False,
        "friendly profanity (praise)",
    ),
    ("holy shit I passed my dissertation!!!", False, "friendly profanity (exclamation)"),
    ("I'm such an idiot, left my laptop in the library again", False, "self-directed insult"),
    (
        "Open day tour visits Scunthorpe and Penistone sixth forms next week",
        False,
        "Scunthorpe problem (UK place names)",
    ),
    (
        "Great lecture by Professor Cockburn on Dickens at the Arts building",
        False,
        "Scunthorpe problem (surnames)",
    ),
    ("this exam is killing me lol", False, "figurative violence"),
    (
        "This bloody essay on tort law is going to kill me. Send snacks.",
        False,
        "figurative violence about oneself (demo samples)",
    ),
    (
        "Lost the pub quiz to the Physics PhDs. They are nerds and I hate them (I love them).",
        False,
        "banter taken back (demo samples)",
    ),
    ("Lovely sunny day at Mile End campus", False, "plain benign"),
]


def _flags(detector: HarassmentDetector) -> dict[str, bool]:
    posts = [make_post(i, text=text) for i, (text, _, _) in enumerate(LABELLED_CASES)]
    threshold = detector.settings.threshold
    found = {f.post_id: f.score for f in detector.detect(posts)}
    return {p.text: found.get(p.doc_id, 0.0) >= threshold for p in posts}


def test_false_positive_cues_on_labelled_cases(
    harassment_detector: HarassmentDetector, harassment_without_context: HarassmentDetector
) -> None:
    with_cues = _flags(harassment_detector)
    without = _flags(harassment_without_context)

    def counts(flags: dict[str, bool]) -> tuple[int, int]:
        tp = sum(flags[t] for t, wanted, _ in LABELLED_CASES if wanted)
        fp = sum(flags[t] for t, wanted, _ in LABELLED_CASES if not wanted)
        return tp, fp

    tp_with, fp_with = counts(with_cues)
    tp_without, fp_without = counts(without)
    log.info(
        "labelled cases: %d harmful, %d benign; with cues TP %d FP %d; without TP %d FP %d",
        sum(w for _, w, _ in LABELLED_CASES),
        sum(not w for _, w, _ in LABELLED_CASES),
        tp_with,
        fp_with,
        tp_without,
        fp_without,
    )
    for text, wanted, source in LABELLED_CASES:
        log.info("%-5s %-5s %-5s %s", wanted, with_cues[text], without[text], source)
    assert fp_with < fp_without
    assert fp_with <= 2
    assert tp_with == tp_without  # the cues do not cost a real case
    assert tp_with >= 5


def test_bundled_artefact_fits_the_repository_budget() -> None:
    # The exported int8 model is what runs; weights.safetensors is what training exports from.
    for name in (ONNX_FILE, "weights.safetensors"):
        assert (ARTEFACT_DIR / name).stat().st_size <= 25 * 1024 * 1024
    meta = json.loads((ARTEFACT_DIR / "model.json").read_text())
    assert meta["labels"] == ["offensive", "targeted", "identity_attack"]


def test_targeted_is_a_signal_only_while_it_is_reliable(
    harassment_detector: HarassmentDetector,
) -> None:
    from detectors.harassment.targeted import TargetedSignal

    signal = TargetedSignal.load()
    assert signal is not None
    (finding,) = harassment_detector.detect(
        [make_post(1, text="@someone shut up you stupid bitch nobody asked you")]
    )
    assert finding.score >= 0.5
    assert ("targeted" in finding.signals) is (
        signal.reliable and finding.evidence["label_scores"]["targeted"] >= 0.5)
    assert ("targeted" in finding.evidence) is signal.reliable
    if not signal.reliable:
        assert "targeted insult" not in finding.explanation
