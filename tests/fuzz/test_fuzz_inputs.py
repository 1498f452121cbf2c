"""Property tests on what reads hostile input: the JSONL reader, the config loader and the image
loader take any bytes and either return or raise their one documented error, in bounded time."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from detectors.common.image import ImageError, load_image
from pipeline.core.config import ConfigError, load_config
from pipeline.core.jsonl import ReadReport, read_models
from pipeline.core.models import Post

FUZZ = settings(
    max_examples=150, deadline=2_000, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner,
                                                               max_size=6),
    max_leaves=30,
)
# Post-shaped objects with arbitrary values in the fields the reader normalises.
_POSTISH = st.fixed_dictionaries(
    {"platform": st.sampled_from(["x", "reddit", "mastodon", "bluesky"]) | st.text(max_size=8),
     "id": st.text(max_size=12) | st.integers(),
     "created_at": st.text(max_size=30) | st.integers(),
     "text": st.text(max_size=200) | _JSON},
    optional={"author": _JSON, "media": st.lists(_JSON, max_size=3), "url": st.text(max_size=40)},
)


def _read(tmp_path: Path, data: bytes) -> ReadReport:
    path = tmp_path / "posts.jsonl"
    path.write_bytes(data)
    report = ReadReport()
    list(read_models(path, Post, report))
    return report


@FUZZ
@given(lines=st.lists(st.binary(max_size=300), max_size=8))
def test_any_bytes_are_read_or_reported_line_by_line(tmp_path: Path, lines: list[bytes]) -> None:
    data = b"\n".join(line.replace(b"\n", b" ") for line in lines)
    report = _read(tmp_path, data)
    non_blank = [line for line in data.split(b"\n") if line.strip() and line != b"\xef\xbb\xbf"]
    assert report.read + len(report.errors) >= len(non_blank) - 1  # a leading BOM line aside


@FUZZ
@given(items=st.lists(_POSTISH | _JSON, min_size=1, max_size=6))
def test_any_json_is_a_post_or_that_lines_error(tmp_path: Path, items: list[object]) -> None:
    data = "\n".join(json.dumps(item) for item in items).encode()
    report = _read(tmp_path, data)
    assert report.read + len(report.errors) == len(items)


@pytest.mark.parametrize(
    "line",
    [
        b'{"platform": "x", "id": "1", "created_at": "2026-01-01T00:00:00Z", "text": "\\ud800"}',
        b"[" * 5_000 + b"]" * 5_000,
        b'{"a": ' * 3_000 + b"1" + b"}" * 3_000,
        b"\xef\xbb\xbf\xff",
        b'{"platform": "x", "id": "1", "created_at": 1e20, "text": "t", "author": {"id": "1"}}',
        b'{"platform": "x", "id": "1", "created_at": ' + b"9" * 400 + b', "text": "t"}',
        b'{"platform": "x", "id": "1", "created_at": -1e18, "text": "t", "media": [{"url": 1}]}',
    ],
)
def test_hostile_lines_are_that_lines_error(tmp_path: Path, line: bytes) -> None:
    report = _read(tmp_path, line + b"\n" + line)
    assert report.read + len(report.errors) == 2


@FUZZ
@given(text=st.text(max_size=400) | st.binary(max_size=400).map(lambda b: b.decode("latin-1")))
def test_any_config_text_loads_or_is_a_config_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        load_config(path)
    except ConfigError as exc:
        assert str(exc)


_EXAMPLE = (Path(__file__).resolve().parents[2] / "config" / "example.yaml").read_text()


@FUZZ
@given(cut=st.integers(0, len(_EXAMPLE)), junk=st.text(max_size=20))
def test_a_damaged_example_config_loads_or_is_a_config_error(
    tmp_path: Path, cut: int, junk: str
) -> None:
    (tmp_path / "config.yaml").write_text(_EXAMPLE[:cut] + junk + _EXAMPLE[cut + len(junk):])
    try:
        load_config(tmp_path / "config.yaml")
    except ConfigError as exc:
        assert str(exc)


def _png(size: tuple[int, int] = (16, 12)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "teal").save(out, "PNG")
    return out.getvalue()


_PNG = _png()


@FUZZ
@given(
    data=st.binary(max_size=600)
    | st.tuples(st.integers(0, len(_PNG) - 1), st.binary(min_size=1, max_size=8)).map(
        lambda cut: _PNG[: cut[0]] + cut[1] + _PNG[cut[0] + len(cut[1]):]
    )
)
def test_any_image_bytes_decode_or_are_an_image_error(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "image.bin"
    path.write_bytes(data)
    try:
        decoded = load_image(path)
    except ImageError as exc:
        assert str(exc)
    else:
        assert decoded is not None
