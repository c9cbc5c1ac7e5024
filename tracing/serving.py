"""`ftr serve`: FTR under gunicorn, as it runs in production.

The app is created once in gunicorn's master process, with the newest fitted engine
loaded and frozen out of the garbage collector's way; the workers are forked from it
and share those pages (copy on write) instead of each loading the engine again. A
worker loads an engine itself only when a newer one is fitted (`ftr match --refit`).
Database connections are never shared across the fork: the master's are closed before
the workers start.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from flask import Flask
from gunicorn.app.base import BaseApplication

if TYPE_CHECKING:
    from gunicorn._types import _WSGIAppType as WSGIApplication

SECRET_KEY_MIN_LENGTH = 32
# Access log without query strings: a name search (/search?q=...) is a child's name.
ACCESS_LOG_FORMAT = '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'


class ServeRefused(Exception):
    """`ftr serve` will not start with this configuration; the message says why."""


def check_secret_key(environ: Mapping[str, str]) -> None:
    """Sessions are signed with FTR_SECRET_KEY: it must be set, the same for every worker
    and every restart, and long enough not to be guessed."""
    key = environ.get("FTR_SECRET_KEY", "")
    if len(key) < SECRET_KEY_MIN_LENGTH:
        raise ServeRefused(
            f"FTR_SECRET_KEY must be set to a random value of at least "
            f"{SECRET_KEY_MIN_LENGTH} characters, the same for every worker and restart "
            '(python3 -c "import secrets; print(secrets.token_hex(32))"); '
            "keep it out of the repository."
        )


def preload_engine(app: Flask) -> int | None:
    """Load the newest fitted engine into this (the master) process; return its id.

    Then close every database connection: a forked worker must open its own.
    """
    from tracing.db import close_session, get_session
    from tracing.linkage.fitted_engines import current_linker

    with app.app_context():
        try:
            current = current_linker(get_session())
        finally:
            close_session()
            app.extensions["ftr.engine"].dispose()
    return None if current is None else current[0]


class Server(BaseApplication):
    """gunicorn running one already created app, with the settings given."""

    def __init__(self, app: Flask, settings: dict[str, Any]) -> None:
        self.application = app
        self.settings = settings
        super().__init__()

    def load_config(self) -> None:
        for name, value in self.settings.items():
            self.cfg.set(name, value)

    def load(self) -> WSGIApplication:
        # Flask's environ is typed dict, gunicorn's MutableMapping: the same object.
        return cast("WSGIApplication", self.application)


def settings(
    *,
    host: str,
    port: int,
    workers: int,
    threads: int,
    timeout: int,
    certfile: str | None = None,
    keyfile: str | None = None,
) -> dict[str, Any]:
    """gunicorn's settings for FTR."""
    address = f"[{host}]" if ":" in host and not host.startswith("[") else host  # IPv6
    found: dict[str, Any] = {
        "bind": [f"{address}:{port}"],
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread" if threads > 1 else "sync",
        "timeout": timeout,
        "graceful_timeout": 30,
        # The app and its engine are loaded once, before the workers are forked.
        "preload_app": True,
        # Forwarded headers are trusted by the app only (PROXY_HOPS), never by gunicorn.
        "forwarded_allow_ips": "",
        "accesslog": "-",
        "access_log_format": ACCESS_LOG_FORMAT,
        "errorlog": "-",
        "proc_name": "ftr",
        # A worker recycled now and then returns the memory a large request took.
        "max_requests": 2000,
        "max_requests_jitter": 200,
    }
    if certfile and keyfile:
        found.update(certfile=certfile, keyfile=keyfile)
    return found


def default_workers() -> int:
    """FTR_WORKERS, else one worker per core (matching a record is CPU work)."""
    configured = os.environ.get("FTR_WORKERS")
    return int(configured) if configured else max(1, os.cpu_count() or 1)
