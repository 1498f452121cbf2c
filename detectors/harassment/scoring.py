"""The harassment score: one number in [0, 1] for "worth a reviewer's time", from the label
scores and the cue layer's context.

Offence counts whether or not it is aimed at anyone: the comms team wants to see a strong slur
that names nobody, and who is targeted decides the severity (the policy's job, from the
finding's signals), not whether the post is seen. The targeted signal therefore does not enter
the score. Cues that mark a classic false positive (lyrics, friendly or self-directed
profanity) leave less than half of the language score, so at the 0.5 threshold a post carrying
one is not flagged for its language alone; a threat is judged separately and dampened less.
Reported speech is handled before scoring: the quote is removed and the rest scored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

# How much each cue leaves of the language score. Reported speech has no factor: the quoted
# words are removed and the author's own words scored again, at full weight ('This bitch said
# "..."' stays an insult; 'he called me a "..." today' is a report).
CONTEXT_FACTORS: dict[str, float] = {
    "lyrics": 0.45,
    "friendly_profanity": 0.45,
}
# How much of a threat's score is left when it is sung. (A quoted threat is not read at all.)
THREAT_CONTEXT_FACTOR = 0.6


def harassment_score(
    labels: Mapping[str, float], context: Sequence[str]
) -> tuple[float, list[str]]:
    """The score and the cues that lowered it."""
    language = max(labels.get("offensive", 0.0), labels.get("identity_attack", 0.0))
    applied = [c for c in context if c in CONTEXT_FACTORS]
    for c in applied:
        language *= CONTEXT_FACTORS[c]
    threat = labels.get("threat", 0.0)
    if "lyrics" in context:
        threat *= THREAT_CONTEXT_FACTOR
    return min(1.0, max(language, threat)), applied
