"""Logos drawn in code, photos from scikit-image, and a config that lists only these logos."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from detectors.logo import bench as logo_bench
from pipeline.core.config import BrandedAccount, OrgConfig, ReferenceLogo

SVG_LOGO = """<svg xmlns="http://www.w3.org/2000/svg" width="200" height="200">
  <rect x="10" y="10" width="180" height="180" fill="#1b3d8f"/>
  <polygon points="100,25 175,100 100,175 25,100" fill="#f2c230"/>
  <circle cx="100" cy="100" r="30" fill="#ffffff"/>
  <rect x="90" y="40" width="20" height="40" fill="#1b3d8f"/>
  <rect x="40" y="150" width="40" height="20" fill="#ffffff"/>
  <rect x="120" y="150" width="40" height="20" fill="#c0392b"/>
  <polygon points="30,30 60,30 30,60" fill="#ffffff"/>
</svg>
"""


@pytest.fixture(scope="session")
def drawn_logos() -> list[np.ndarray]:
    """Four distinct RGBA logos; the first is "ours", the rest belong to others."""
    return logo_bench.draw_fictional_logos()


@pytest.fixture(scope="session")
def photo() -> np.ndarray:
    """A real photograph (RGB) from scikit-image's bundled data."""
    from skimage import data

    return np.ascontiguousarray(data.coffee())


def _write_logo_files(folder: Path, drawn_logos: list[np.ndarray]) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    ours = drawn_logos[0]
    png = folder / "crest.png"
    cv2.imwrite(str(png), cv2.cvtColor(ours, cv2.COLOR_RGBA2BGRA))
    # The same logo as an opaque JPEG, to prove JPEG references work.
    on_white = ours[:, :, :3].astype(np.float32) * (ours[:, :, 3:] / 255.0) + 255 * (
        1 - ours[:, :, 3:] / 255.0
    )
    jpeg = folder / "crest.jpg"
    cv2.imwrite(str(jpeg), cv2.cvtColor(on_white.astype(np.uint8), cv2.COLOR_RGB2BGR))
    svg = folder / "badge.svg"
    svg.write_text(SVG_LOGO, encoding="utf-8")
    return {"png": png, "jpeg": jpeg, "svg": svg}


@pytest.fixture()
def logo_files(tmp_path: Path, drawn_logos: list[np.ndarray]) -> dict[str, Path]:
    return _write_logo_files(tmp_path / "logos", drawn_logos)


@pytest.fixture(scope="session")
def warm_logo_cache(
    tmp_path_factory: pytest.TempPathFactory, example_config: OrgConfig,
    drawn_logos: list[np.ndarray],
) -> Path:
    """Feature cache files for the drawn logos, computed once per session. The drawing is
    deterministic, so each test's files have the same hashes and hit this cache."""
    from detectors.logo.detector import LogoDetector

    root = tmp_path_factory.mktemp("logo-cache")
    files = _write_logo_files(root / "logos", drawn_logos)
    config = example_config.model_copy(update={
        "data_dir": root / "data",
        "logos": [ReferenceLogo(brand="uni", variant="crest", path=files["png"]),
                  ReferenceLogo(brand="uni", variant="badge", path=files["svg"])],
    })
    LogoDetector(config).load()
    return root / "data" / "cache" / "logo"


@pytest.fixture()
def logo_config(
    config: OrgConfig, logo_files: dict[str, Path], warm_logo_cache: Path
) -> OrgConfig:
    """The example organisation, but with the drawn logos as its references."""
    import shutil

    shutil.copytree(warm_logo_cache, config.data_path() / "cache" / "logo")
    logos = [
        ReferenceLogo(brand="uni", variant="crest", path=logo_files["png"]),
        ReferenceLogo(brand="uni", variant="badge", path=logo_files["svg"]),
    ]
    accounts = [
        *config.accounts,
        BrandedAccount(platform="x", handle="UniSociety", owner="A society", official=False,
                       may_use_logos=False),
    ]
    return config.model_copy(update={"logos": logos, "accounts": accounts})


def composite(
    photo: np.ndarray,
    logo: np.ndarray,
    *,
    width: float,
    angle: float = 0.0,
    jitter: float = 0.0,
    size: tuple[int, int] = (800, 600),
    seed: int = 3,
) -> np.ndarray:
    """`logo` pasted into `photo` (resized to `size`), returned as BGR."""
    rng = np.random.default_rng(seed)
    canvas = cv2.resize(photo, size, interpolation=cv2.INTER_AREA)
    pasted, _ = logo_bench._paste(canvas, logo, width=width, angle=angle, jitter=jitter, rng=rng)
    return cv2.cvtColor(pasted, cv2.COLOR_RGB2BGR)
