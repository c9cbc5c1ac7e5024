"""Imports: validated CSV or XLSX rows stored in bulk, idempotent by ref (DESIGN §3)."""
