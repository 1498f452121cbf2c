"""Harassment, threats and discrimination (a fine-tuned text classifier plus cues)."""

# Detector name -> module:Class in this package (read by detectors.registry).
DETECTORS = {
    "harassment": "detector:HarassmentDetector",
}
