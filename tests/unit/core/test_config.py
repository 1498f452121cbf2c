from pathlib import Path

import pytest

from pipeline.core.config import ConfigError, load_config
from pipeline.core.paths import PROJECT_ROOT

EXAMPLE = (PROJECT_ROOT / "config" / "example.yaml").read_text()


def test_example_config_loads_and_resolves_paths_against_its_folder():
    config = load_config(PROJECT_ROOT / "config" / "example.yaml")
    assert config.organisation.short_name == "QMUL"
    assert config.registered("x", "@qmul") is not None
    assert config.registered("x", "QMUL_official") is None
    assert config.resolve(config.logos[0].path) == PROJECT_ROOT / "config" / "logos" / "crest.png"
    assert config.detector("impersonation").threshold == 0.6
    assert config.detector("not-configured").threshold == 0.5


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        # (text replaced in the example, what the error must say)
        (("platform: x, handle: QMULSU", "platform: myspace, handle: QMULSU"),
         "accounts.2.platform: Input should be 'x', 'reddit', 'bluesky', 'mastodon' or 'jsonl'"),
        (("  posts_days: 180", "  posts_days: -3"),
         "retention.posts_days: Input should be greater than or equal to 1"),
        (("  closed_hits_days: 90", "  closed_hits_dayz: 90"),
         "retention.closed_hits_dayz: Extra inputs are not permitted"),
        (("  harassment: {threshold: 0.5}", "  harassment: {threshold: 5}"),
         "detectors.harassment.threshold: Input should be less than or equal to 1"),
        (("staff_id: '\\bQMS-[0-9]{6}\\b'", "staff_id: '[unclosed'"),
         "id_patterns: Value error, pattern 'staff_id' is not a valid regular expression"),
    ],
)
def test_a_bad_config_names_file_key_and_problem(tmp_path: Path, edit, expected):
    old, new = edit
    assert old in EXAMPLE, f"the example config no longer contains {old!r}"
    path = tmp_path / "bad.yaml"
    path.write_text(EXAMPLE.replace(old, new, 1))
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert expected in str(caught.value)


def test_broken_yaml_says_where(tmp_path: Path):
    path = tmp_path / "broken.yaml"
    path.write_text("organisation:\n  name: [unclosed\n")
    with pytest.raises(ConfigError, match=r"broken.yaml: line \d+, column \d+: not valid YAML"):
        load_config(path)


def test_missing_file_and_wrong_top_level(tmp_path: Path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "absent.yaml")
    path = tmp_path / "list.yaml"
    path.write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match=r"\(top level\): expected a mapping"):
        load_config(path)
