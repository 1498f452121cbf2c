"""Accounts posing as University accounts, staff or students."""

# Detector name -> module:Class in this package (read by detectors.registry).
DETECTORS = {
    "impersonation": "detector:ImpersonationDetector",
}
