"""Personal data in posts (doxxing): phone numbers, e-mail addresses, postal addresses and
postcodes, card numbers, IBANs, national identity numbers, dates of birth, and the organisation's
student and staff numbers (`id_patterns`).

Two questions, answered apart. *Is the detail there?* `detectors.leaks.entities` finds each one
with a score for how sure that is (Luhn and issuer ranges for cards, ISO 7064 for IBANs, each id
scheme's own checks, phonenumbers in the regions the post's language points to); the finding's
score is its surest detail's. *Whose is it?* `detectors.leaks.context` reads the words and people
around each detail (another person's, the author's own, the organisation's, a documentation
value, a postcode alone) and the finding carries that as signals, from which the policy sets the
severity or leaves the finding out. Values are never returned in clear: evidence carries a mask
and a keyed hash, and the same spans are the redactions that mask the stored text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from detectors.base import Detector, DetectorOptions
from detectors.common.people import PeopleFinder, PersonMention
from detectors.leaks.context import Whose, finding_signals, judge
from detectors.leaks.entities import find_entities, resolve
from detectors.leaks.phones import warm_up
from detectors.leaks.spans import Entity
from pipeline.core.models import Category, Finding, Post
from pipeline.core.values import keyed_hash, load_salt, mask, mask_email

_ID_CUE = re.compile(r"\b(?:student|staff|employee|matric|candidate|ID|number|no\.?)\b", re.I)
# Masks as long as the value, keeping what a reviewer needs to tell details apart.
_MASKS: dict[str, Callable[[str], str]] = {
    "email": mask_email,
    "phone_number": lambda v: mask(v, tail=3),
    "postal_address": mask,
    "postcode": lambda v: mask(v, head=2),
    "date_of_birth": lambda v: mask(v, tail=4),
    "credit_card": lambda v: mask(v, tail=4),
    "iban": lambda v: mask(v, head=2, tail=2),
    "national_id": lambda v: mask(v, tail=2),
}


@dataclass
class Detail:
    entity: Entity
    masked: str
    whose: Whose

    @property
    def kind(self) -> str:
        return self.entity.kind

    @property
    def score(self) -> float:
        return self.entity.score

    @property
    def person(self) -> PersonMention | None:
        return self.whose.person


class PersonalDataOptions(DetectorOptions):
    # Numbers that are public on purpose (switchboards, helplines): the organisation's, so
    # signalled `organisation_contact` and not alerted on.
    public_numbers: list[str] = []
    # Countries whose number formats are tried first, before those of the post's language.
    regions: list[str] = ["GB"]


class PersonalDataDetector(Detector):
    name = "personal_data"
    categories = (Category.personal_data,)
    Options = PersonalDataOptions
    options: PersonalDataOptions

    def load(self) -> None:
        self._people = PeopleFinder(self.config)
        self._ids = {name: re.compile(p) for name, p in self.config.id_patterns.items()}
        self._public_numbers = {re.sub(r"\D", "", n)[-10:] for n in self.options.public_numbers}
        self._regions = tuple(r.upper() for r in self.options.regions)
        warm_up()
        self._salt = load_salt(self.config.data_path())
        self._loaded = True

    # -- finding the details -------------------------------------------------------------

    def _identifiers(self, text: str) -> list[Entity]:
        """The organisation's own student and staff numbers (`id_patterns`)."""
        out = []
        for kind, pattern in self._ids.items():
            for m in pattern.finditer(text):
                cue = _ID_CUE.search(text, max(0, m.start() - 30), m.start())
                # The organisation's own format, named: surer than any other reading of it.
                score = 0.95 if cue else 0.4
                out.append(Entity(kind, m.start(), m.end(), m.group(0), score, "id_patterns"))
        return out

    def _details(self, text: str, lang: str | None) -> list[Entity]:
        found = find_entities(text, lang=lang, regions=self._regions)
        return resolve([*found, *self._identifiers(text)]) if self._ids else found

    def detect(self, posts: Sequence[Post]) -> list[Finding]:
        self.ensure_loaded()
        findings = []
        for post in posts:
            text = post.all_text()
            entities = self._details(text, post.lang)
            if not entities:
                continue
            people = self._people.find(text, plain_names=True)
            details = [
                Detail(
                    e,
                    _MASKS.get(e.kind, lambda v: mask(v, tail=2))(e.value),
                    judge(e, text, people, public_numbers=self._public_numbers),
                )
                for e in entities
            ]
            findings.append(self._finding(post, details))
        return findings

    def _finding(self, post: Post, details: list[Detail]) -> Finding:
        threshold = self.settings.threshold
        labels: dict[str, float] = {}
        for d in details:
            labels[d.kind] = max(d.score, labels.get(d.kind, 0.0))
        signals = finding_signals([(d.entity, d.whose) for d in details], threshold)
        text_len = len(post.text)
        if any(d.entity.end > text_len for d in details if d.score >= threshold):
            signals.append("in_image")
        strong = [d for d in details if d.score >= threshold] or details
        person = next((d.person for d in strong if d.person and d.person.protected), None) or next(
            (d.person for d in strong if d.person), None
        )
        kinds = ", ".join(k.replace("_", " ") for k in sorted({d.kind for d in strong}))
        about = ""
        if person is not None:
            about = f" next to {person.who}" + (" (a protected person)" if person.protected else "")
        elif "own_details" in signals:
            about = ", the author's own"
        elif "organisation_contact" in signals:
            about = ", the organisation's contact details"
        return Finding(
            post_id=post.doc_id,
            detector=self.name,
            category=Category.personal_data,
            signals=signals,
            score=max(labels.values()),
            explanation=f"Post shows personal details ({kinds}){about}.",
            evidence={
                # The kinds strong enough to count; weaker ones stay in label_scores.
                "labels": sorted(k for k, v in labels.items() if v >= threshold)
                or [max(labels, key=lambda k: labels[k])],
                "label_scores": labels,
                # One span list: what was found is what is masked, weak details included.
                "spans": [
                    {
                        "start": d.entity.start,
                        "end": d.entity.end,
                        "text": d.masked,
                        "kind": d.kind,
                        "hash": keyed_hash(d.entity.value, self._salt),
                        "score": d.score,
                        "check": d.entity.check,
                        **({"detail": d.entity.detail} if d.entity.detail else {}),
                        "whose": d.whose.whose,
                        "in": "text" if d.entity.end <= text_len else "image",
                        **({"cue": d.whose.cue} if d.whose.cue else {}),
                    }
                    for d in details
                ],
                "redactions": [
                    {"start": d.entity.start, "end": d.entity.end, "mask": d.masked}
                    for d in details
                ],
                **({"person": person.who} if person else {}),
                "terms": sorted(labels),
            },
        )
