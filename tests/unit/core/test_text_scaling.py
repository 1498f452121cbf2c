"""Every text detector's CPU time grows linearly with the text: 10x the text costs about 10x.

Both sizes are measured in one process with `time.process_time`, so the ratio, not an absolute
time, is asserted. bench/bench_text_scaling.py gives the 100 KB / 1 MB
figures. A detector that searched the text again from every match took 37x for 10x the text.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.core.config import OrgConfig
from tests.scaling import TEXT_DETECTORS, cpu_seconds, scaling, text_detector

# Generous: linear is 10x, a quadratic part shows as 30x and more at these sizes.
MAX_RATIO = 20.0


def _ratio(name: str, config: OrgConfig, tmp_path: Path, sizes: tuple[int, int]) -> float:
    detector = text_detector(config, name, tmp_path)
    small, large = scaling(detector, sizes, repeat=3)
    return large / max(small, 1e-4)


FAST = [name for name in TEXT_DETECTORS if name != "harassment"]


@pytest.mark.parametrize("name", FAST)
def test_ten_times_the_text_costs_about_ten_times(
    name: str, example_config: OrgConfig, tmp_path: Path
) -> None:
    assert _ratio(name, example_config, tmp_path, (20_000, 200_000)) <= MAX_RATIO


@pytest.mark.slow
def test_harassment_reads_ten_times_the_text_in_about_ten_times(
    example_config: OrgConfig, tmp_path: Path
) -> None:
    # Smaller sizes: the model reads every window, about 0.1 s of CPU per 1,000 characters.
    assert _ratio("harassment", example_config, tmp_path, (6_000, 60_000)) <= MAX_RATIO


# Texts made of one match repeated: the shapes that were quadratic or slow per match (a key on
# every line of an 800-character stretch asked detect-secrets' slow lookup regex each time;
# every phone number was compared with every name; every weak marker searched the text again).
MANY_MATCHES = [
    ("secrets", "AKIAA2863A7F3B5F3D86 "),
    ("secrets", "api_key = 'sk_live_268ecc45dc6f0a1b2c3d' "),
    ("personal_data", "Dr Smith said 07478 733256. "),
    ("personal_data", "Priya.607@example.ac.uk and Jo Bloggs "),
    ("confidential", "confidential memo "),
]


@pytest.mark.parametrize(("name", "unit"), MANY_MATCHES)
def test_a_text_of_one_match_repeated_stays_linear(
    name: str, unit: str, example_config: OrgConfig, tmp_path: Path
) -> None:
    detector = text_detector(example_config, name, tmp_path)
    small, large = ((unit * (size // len(unit) + 1))[:size] for size in (10_000, 100_000))
    best = [min(cpu_seconds(detector, t) for _ in range(3)) for t in (small, large)]
    assert best[1] / max(best[0], 1e-4) <= MAX_RATIO
