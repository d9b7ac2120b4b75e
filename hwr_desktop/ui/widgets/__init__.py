"""Reusable widgets the panels are built from (no model, session or worker logic)."""
