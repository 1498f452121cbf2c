"""Leaked material: confidential papers, protected documents, secrets, personal data and
complaints."""

# Detector name -> module:Class in this package (read by detectors.registry).
DETECTORS = {
    "confidential": "confidential:ConfidentialDetector",
    "documents": "documents:DocumentsDetector",
    "secrets": "secrets:SecretsDetector",
    "personal_data": "personal_data:PersonalDataDetector",
    "complaints": "complaints:ComplaintsDetector",
}
