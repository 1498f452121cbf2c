"""Where the project's bundled files live (config, samples, trained artefacts)."""

from pathlib import Path

# The checkout root: `pip install -e .` (what `make` does) keeps the bundled config/ and
# samples/ beside the packages.
PROJECT_ROOT = Path(__file__).resolve().parents[2]
SAMPLES_DIR = PROJECT_ROOT / "samples"
CONFIG_DIR = PROJECT_ROOT / "config"

# What to tell someone whose machine lacks a system package the project uses (Tesseract,
# Chromium): scripts/install-system-deps.sh, run by this make target, installs them.
SYSTEM_DEPS_HINT = "make system-deps installs it"
