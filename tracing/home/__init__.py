"""The dashboard: what each role works on first."""
