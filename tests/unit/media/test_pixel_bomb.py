"""A 30000x30000 1-bit PNG (109 KB on disk, 2.7 GB decoded as BGR) is refused from its header:
OCR and the image loader never decode it, and the process stays far under 1.5 GB."""

import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

SIDE = 30_000


def write_bilevel_png(path: Path, side: int) -> None:
    row = b"\x00" + b"\x00" * ((side + 7) // 8)
    pack = zlib.compressobj(9)
    data = b"".join(pack.compress(row) for _ in range(side)) + pack.flush()

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data)
                     + chunk(b"IEND", b""))


CHECK = """
import sys
from pathlib import Path
from pipeline.enrich.ocr import OcrEnricher, OcrError
from detectors.common.image import ImageError, load_image
path = Path(sys.argv[1])
for read, error in ((OcrEnricher().read_path, OcrError), (load_image, ImageError)):
    try:
        read(path)
    except error as exc:
        print(type(exc).__name__, exc)
    else:
        raise SystemExit("decoded a 900-megapixel image")
# VmHWM, not ru_maxrss: Linux keeps ru_maxrss across exec, so a child forked from a large
# pytest process would report the parent's size.
peak_kb = next(int(line.split()[1]) for line in open("/proc/self/status")
               if line.startswith("VmHWM:"))
print("peak_mb", peak_kb // 1024)
"""


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bomb") / "bomb.png"
    write_bilevel_png(path, SIDE)
    assert path.stat().st_size < 200_000
    return path


def test_a_pixel_bomb_is_refused_from_its_header_in_bounded_memory(bomb: Path):
    done = subprocess.run([sys.executable, "-c", CHECK, str(bomb)], capture_output=True,
                          text=True, timeout=120, cwd=Path(__file__).parents[3])
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("OcrError") and "pixel limit" in lines[0]
    assert lines[1].startswith("ImageError") and "pixels" in lines[1]
    assert int(lines[2].split()[1]) < 1500
