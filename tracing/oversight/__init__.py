"""Oversight and audit: cases by status, time to reunification, the audit trail."""
