"""Someone else's work reposted without credit: near-copies of other accounts' posts and of
registered works, in text and in images."""

# Detector name -> module:Class in this package (read by detectors.registry).
DETECTORS = {"reposts": "detector:RepostDetector"}
