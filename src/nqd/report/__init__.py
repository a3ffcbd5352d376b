"""Check reports: terminal text, JSON, SARIF 2.1.0, markdown upgrade report."""
