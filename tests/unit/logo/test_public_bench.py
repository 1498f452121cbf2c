"""The public benchmark's builder, on small stand-ins for the npm packages and wallpapers (the
real ones are read the same way; building from them is `crestwatch logo-bench --public`)."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from detectors.logo import public_bench
from pipeline.cli.app import app

# Six made-up brands, each a symbol and a wider full logo (symbol plus a "wordmark" bar).
SYMBOL = ('<path fill="{colour}" d="M10 10h{a}v{b}h-{a}z"/>'
          '<circle cx="{c}" cy="70" r="18" fill="#ffffff"/><circle cx="60" cy="{c}" r="12"/>')
BRANDS = {
    f"brand{i}": {"colour": colour, "a": 60 + 8 * i, "b": 70 - 5 * i, "c": 40 + 6 * i}
    for i, colour in enumerate(["#1b3d8f", "#c0392b", "#2e8b57", "#8e44ad", "#d35400", "#222"])
}


def _iconify_tarball(path: Path) -> Path:
    icons: dict[str, dict[str, object]] = {}
    for name, spec in BRANDS.items():
        body = SYMBOL.format(**spec)
        icons[f"{name}-icon"] = {"body": body, "width": 128, "height": 128}
        icons[name] = {"body": body + f'<rect x="140" y="40" width="300" height="50" '
                                      f'fill="{spec["colour"]}"/>', "width": 460, "height": 128}
    for n in range(4):  # decoys: marks without a symbol-only twin
        icons[f"decoy{n}"] = {"body": f'<polygon points="10,100 64,{10 + 9 * n} 118,100" '
                                      f'fill="#{n}{n}6699"/>'}
    icons["hidden-one"] = {"body": "<path d='M0 0h1v1z'/>", "hidden": True}
    data = {"prefix": "logos", "width": 128, "height": 128, "icons": icons}
    return _tarball(path / public_bench.tarball_name("@iconify-json/logos", "1.2.19"),
                    {"package/icons.json": json.dumps(data).encode()})


def _simple_icons_tarball(path: Path) -> Path:
    svg = ('<svg role="img" viewBox="0 0 24 24" xmlns="http://www.w3.org/2000/svg">'
           '<path d="M2 2h20v6H2zM2 12h8v10H2z"/></svg>')
    return _tarball(path / public_bench.tarball_name("simple-icons", "16.37.0"), {
        "package/data/simple-icons.json":
            json.dumps([{"slug": "blocks", "hex": "AA3311"}]).encode(),
        "package/icons/blocks.svg": svg.encode(),
    })


def _tarball(path: Path, files: dict[str, bytes]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as archive:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return path


@pytest.fixture()
def sources(tmp_path: Path) -> tuple[Path, Path]:
    marks = tmp_path / "marks"
    _iconify_tarball(marks)
    _simple_icons_tarball(marks)
    root = tmp_path / "share"
    folder = root / "backgrounds" / "mate" / "nature"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(3)
    for n in range(6):
        noise = cv2.GaussianBlur(rng.integers(0, 255, (300, 400, 3)).astype(np.uint8), (0, 0), 3)
        cv2.imwrite(str(folder / f"photo{n}.jpg"), noise)
    # A flat wallpaper is no photograph and must not be used as one.
    cv2.imwrite(str(folder / "flat.jpg"), np.full((300, 400, 3), 200, np.uint8))
    return marks, root


def test_builds_dev_and_held_parts_with_a_fixed_split(
    sources: tuple[Path, Path], tmp_path: Path
) -> None:
    marks, root = sources
    written = public_bench.build(tmp_path / "out", marks_dir=marks, photo_root=root, seed=4,
                                 organisations_per_part=1, positives=6, negatives=3)
    assert set(written) == {"dev", "held"}
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    dev, held = manifest["parts"]["dev"], manifest["parts"]["held"]
    assert set(dev["organisations"]).isdisjoint(held["organisations"])
    assert all("flat.jpg" not in p["name"] for p in dev["photos"] + held["photos"])
    lines = [json.loads(line) for line in written["dev"].read_text().splitlines()]
    assert len(lines) == 9
    positives = [line for line in lines if line["labels"] == ["logo_misuse"]]
    assert len(positives) == 6
    for line in positives:
        assert line["brand"] == dev["organisations"][0]
        assert {"condition", "version", "colour", "size"} <= set(line["facets"])
        assert len(line["box"]) == 4
        image = written["dev"].parent / line["media"][0]["path"]
        assert cv2.imread(str(image)) is not None
    references = json.loads((written["dev"].parent / "dev.references.json").read_text())
    assert {r["variant"] for r in references} == {
        f"{v}-{c}" for v in public_bench.VERSIONS for c in public_bench.COLOURS}
    for reference in references:
        rgba = cv2.imread(str(written["dev"].parent / reference["path"]), cv2.IMREAD_UNCHANGED)
        assert rgba.shape[2] == 4 and rgba[:, :, 3].max() == 255
    # The same seed and sources give the same benchmark.
    again = public_bench.build(tmp_path / "again", marks_dir=marks, photo_root=root, seed=4,
                               organisations_per_part=1, positives=6, negatives=3,
                               parts=("dev",))
    assert again["dev"].read_text() == written["dev"].read_text()
    first = sorted((written["dev"].parent / "images").iterdir())[0]
    assert (again["dev"].parent / "images" / first.name).read_bytes() == first.read_bytes()


def test_split_depends_only_on_the_seed_and_each_name() -> None:
    names = [f"org{n}" for n in range(40)]
    before = public_bench.split(names, 15)
    after = public_bench.split([*names, "newcomer", "another"], 15)
    for part in ("dev", "held"):
        assert set(before[part]) <= set(after[part])
    assert before["dev"] and before["held"]
    assert public_bench.split(names, 16) != before


def test_black_and_white_versions_keep_knocked_out_shapes() -> None:
    rgba = np.zeros((40, 40, 4), np.uint8)
    rgba[5:35, 5:35] = (30, 60, 200, 255)  # a blue plate
    rgba[15:25, 15:25] = (255, 255, 255, 255)  # a white letter on it
    black = public_bench.single_colour(rgba, 0)
    assert black[10, 10, 3] == 255 and black[10, 10, :3].max() == 0
    assert black[20, 20, 3] == 0  # the letter stays a hole
    white = public_bench.single_colour(rgba, 255)
    assert white[10, 10, :3].min() == 255


def test_missing_material_is_named_with_how_to_get_it(tmp_path: Path) -> None:
    with pytest.raises(public_bench.BenchSourceError, match="fetch-logo-marks.sh"):
        public_bench.gather(tmp_path)
    with pytest.raises(public_bench.BenchSourceError, match="gnome-backgrounds"):
        public_bench.photo_files(tmp_path)


def test_logo_bench_public_command_reports_missing_packages(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["logo-bench", str(tmp_path / "out"), "--public",
                                      "--marks", str(tmp_path / "none")])
    assert result.exit_code == 2
    assert "fetch-logo-marks.sh" in result.output
