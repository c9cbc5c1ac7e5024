"""Registered children: a field team registers a separated child, edits the case, adds a photo."""
