"""Casework: follow-ups, reunification, closure, case history, and transfers between agencies."""
