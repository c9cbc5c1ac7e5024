"""Tracing requests: a help desk files an inquiry for one or more sought children."""
