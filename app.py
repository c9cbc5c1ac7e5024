"""FTR's Flask application factory."""

from __future__ import annotations

import datetime as dt
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
        # Cookies go over HTTPS only when the site is served over HTTPS: FTR_PUBLIC_URL
        # (https://...) says so, as does FTR_SESSION_COOKIE_SECURE=true.
        PUBLIC_URL=None,
        SESSION_COOKIE_SECURE=False,
        # Proxies in front of FTR whose X-Forwarded-For/-Proto/-Host headers are trusted;
        # 0 (the default): none, the headers are ignored and cannot fake a client address.
        PROXY_HOPS=0,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        IDLE_TIMEOUT_MINUTES=30,
        PERMANENT_SESSION_LIFETIME=dt.timedelta(minutes=30),
        LOGIN_MAX_FAILURES=5,
        LOGIN_LOCKOUT_MINUTES=15,
        LOGIN_RATE_LIMIT="20 per minute",
        RATELIMIT_HEADERS_ENABLED=True,
        MAX_CONTENT_LENGTH=16 * 1024 * 1024,
        # Match new and changed records as they arrive (off only for benchmarks).
        REALTIME_MATCHING=True,
    )
    app.config.from_prefixed_env("FTR")
    if config:
        app.config.from_mapping(config)
    if str(app.config["PUBLIC_URL"] or "").startswith("https://"):
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["PREFERRED_URL_SCHEME"] = "https"
    app.config["REMEMBER_COOKIE_SECURE"] = app.config["SESSION_COOKIE_SECURE"]

    from tracing import api, db, routing, security, templating
    from tracing.accounts import admin_views
    from tracing.accounts import views as accounts
    from tracing.home import views as home
    from tracing.inquiries import views as inquiries
    from tracing.oversight import views as oversight
    from tracing.registrations import views as registrations
    from tracing.review import views as review
    from tracing.search import views as search

    # Before any blueprint: a record id beyond PostgreSQL's integer matches no route (404).
    app.url_map.converters["int"] = routing.RecordIdConverter
    db.init_app(app)
    security.init_app(app)
    templating.init_app(app)
    features = (
        accounts,
        home,
        registrations,
        inquiries,
        review,
        search,
        oversight,
        admin_views,
        api,
    )
    for module in features:
        app.register_blueprint(module.bp)
    return app
