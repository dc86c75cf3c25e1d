"""The funding readiness score (placeholder, filled in by the split)."""
