"""Lender reports: revocable share links to a signed, frozen readiness report (page and PDF)."""
