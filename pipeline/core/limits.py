"""Limits shared by every part that decodes images (media fetcher, OCR, logo and avatar checks)."""

# 40 megapixels: well above any platform's upload limit, far below what would exhaust memory.
MAX_PIXELS = 40_000_000
