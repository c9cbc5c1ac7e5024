"""FTR's Flask application factory."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from flask import Flask

from models.db import database_url


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Create and configure an FTR app: defaults, then FTR_* environment, then `config`."""
    app = Flask(__name__, template_folder="templates")
    app.config.from_mapping(
        # A random key by default: sessions end when the server restarts. Set
        # FTR_SECRET_KEY to keep them; never commit a real key.
        SECRET_KEY=secrets.token_hex(32),
        DATABASE_URL=database_url(),
        DEFAULT_AGENCY="Demo Agency",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
    )
    app.config.from_prefixed_env("FTR")
    if config:
        app.config.from_mapping(config)

    from tracing import db, home

    db.init_app(app)
    app.register_blueprint(home.bp)
    return app
