"""Accounts and agencies: signing in and out, users, roles, agencies (administrators)."""
