"""University logos in images, used without permission."""

# Detector name -> module:Class in this package (read by detectors.registry).
DETECTORS = {
    "logo": "detector:LogoDetector",
}
