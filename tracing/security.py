"""Sign-in, roles, CSRF, rate limits, idle timeout and security headers.

Least privilege: every view names the roles allowed to use it (`roles_required`, or
`public`); `route_roles` lists them by endpoint, for the menu, the actions a page shows,
and the permission-matrix test, which fails when a route is missing from it. The role
sets themselves are the access rules' (`tracing.access`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from flask import Flask, Response, abort, flash, g, redirect, request, session, url_for
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user, logout_user
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.exc import DBAPIError
from werkzeug.middleware.proxy_fix import ProxyFix

from models import User

from .db import get_session
from .rate_limits import storage_uri

P = ParamSpec("P")
R = TypeVar("R")

login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])

# A view's roles are kept on the view itself; `route_roles` reads them by endpoint.
_ROLES = "ftr_allowed_roles"


class AppUser:
    """The signed-in user as Flask-Login sees it: a thin wrapper over the stored row."""

    def __init__(self, user: User) -> None:
        self.user = user
        self.id = user.id
        self.role = user.role
        self.agency_id = user.agency_id
        self.email = user.email
        self.is_authenticated = True
        self.is_active = user.active
        self.is_anonymous = False

    def get_id(self) -> str:
        return str(self.id)


def public(view: Callable[P, R]) -> Callable[P, R]:
    """Open to anyone, signed in or not (signing in and out)."""
    setattr(view, _ROLES, None)
    return view


def roles_required(*roles: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Allow a view to signed-in users holding one of `roles`; 403 for other roles."""
    allowed = frozenset(roles)

    def decorate(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()  # type: ignore[no-any-return]
            if current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        setattr(wrapped, _ROLES, allowed)
        return wrapped

    return decorate


@login_manager.user_loader
def load_user(user_id: str) -> AppUser | None:
    user = get_session().get(User, int(user_id))
    if user is None or not user.active:
        return None
    return AppUser(user)


def _enforce_idle_timeout() -> Any:
    """End a session idle for longer than IDLE_TIMEOUT_MINUTES, on the server side too."""
    if not current_user.is_authenticated:
        return None
    from flask import current_app

    now = dt.datetime.now(dt.UTC).timestamp()
    limit = current_app.config["IDLE_TIMEOUT_MINUTES"] * 60
    last_seen = session.get("last_seen")
    if last_seen is not None and now - float(last_seen) > limit:
        logout_user()
        session.clear()
        flash("You were signed out after a period of inactivity.", "info")
        return redirect(url_for("auth.login", next=request.full_path))
    session["last_seen"] = now
    session.permanent = True
    return None


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


def _refuse_nul_bytes() -> Any:
    """No text FTR stores or searches may hold a NUL character (PostgreSQL's text cannot):
    a request carrying one, in its address, query, form or JSON body, is refused with a
    message before any view reads it."""
    # every value of a repeated field, not only the first
    values: list[Any] = [request.path, *request.args.keys(), *request.args.lists()]
    if request.method in ("POST", "PUT", "PATCH"):
        values += [*request.form.keys(), *request.form.lists()]
        if request.is_json:
            values.append(request.get_json(silent=True))
    if any(_has_nul(v) for v in values):
        g.refused_nul = True  # audited (`_audit_refusal`), unlike a form's own errors
        message = "Text may not contain NUL characters; remove them and try again."
        if request.path.startswith("/api/"):
            return {"errors": [{"column": None, "message": message}]}, 400
        return Response(message, status=400, mimetype="text/plain")
    return None


# Refusals worth auditing: a role's page (403), another agency's record or a guessed id
# (404), a rate limit (429), a NUL byte (400; not a form's own errors). Anonymous 404s
# (a wrong address before signing in) are noise, not a probe of the records: those of
# signed-in users count.
AUDITED_REFUSALS = frozenset({400, 403, 404, 429})


def _audit_refusal(response: Response) -> Response:
    status = response.status_code
    if status not in AUDITED_REFUSALS or request.endpoint == "static":
        return response
    if status == 400 and not g.get("refused_nul"):
        return response  # a form or body with errors: shown to its author, not a refusal
    signed_in = current_user.is_authenticated
    if not signed_in and status != 429:
        return response  # anonymous noise would push the real events off the trail
    from flask import current_app

    from .audit import record_refusal

    try:
        record_refusal(
            current_app.extensions["ftr.engine"],
            current_user.id if signed_in else None,
            status=status,
            method=request.method,
            path=request.path,
            endpoint=request.endpoint,
            ip=request.remote_addr,
        )
    except DBAPIError:  # the refusal stands even if the audit trail cannot be written
        current_app.logger.exception("could not audit a refused request")
    return response


def _security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data: https://*.tile.openstreetmap.org; "
        "style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'; "
        "form-action 'self'; base-uri 'self'",
    )
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "geolocation=(self), camera=(), microphone=()")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    # Pages and API answers show children's data: never keep them in caches.
    if response.mimetype in ("text/html", "application/json"):
        headers.setdefault("Cache-Control", "no-store")
    return response


def route_roles() -> dict[str, frozenset[str] | None]:
    """Each endpoint of the app with the roles that may use it (None: anyone). Endpoints
    that name no roles (the static files) are not listed."""
    from flask import current_app

    found = current_app.extensions.get("ftr.route_roles")
    if found is None:
        found = {
            endpoint: getattr(view, _ROLES)
            for endpoint, view in current_app.view_functions.items()
            if hasattr(view, _ROLES)
        }
        current_app.extensions["ftr.route_roles"] = found
    return found


NAV_LINKS = (
    ("home.index", "Dashboard"),
    ("registrations.new", "Register a child"),
    ("requests.new", "File an inquiry"),
    ("search.index", "Search"),
    ("review.queue", "Review queue"),
    ("supervision.overview", "Supervision"),
    ("admin.users", "Admin"),
)


def nav_links() -> list[tuple[str, str]]:
    """The menu: only the pages the signed-in user's role may open."""
    from flask import current_app

    links = []
    for endpoint, label in NAV_LINKS:
        roles = route_roles().get(endpoint, frozenset())
        if endpoint in current_app.view_functions and (roles is None or current_user.role in roles):
            links.append((endpoint, label))
    return links


def allowed_endpoints() -> set[str]:
    """Endpoints the signed-in user's role may use: pages show only the actions allowed."""
    return {
        endpoint
        for endpoint, roles in route_roles().items()
        if roles is None or (current_user.is_authenticated and current_user.role in roles)
    }


def init_app(app: Flask) -> None:
    # Counters shared by every server process, in the store, unless configured otherwise.
    app.config.setdefault("RATELIMIT_STORAGE_URI", storage_uri(app.config["DATABASE_URL"]))
    hops = int(app.config["PROXY_HOPS"] or 0)
    if hops < 0:
        raise ValueError("PROXY_HOPS is the number of proxies in front of FTR: 0 or more")
    if hops:
        # Only as many forwarded addresses as there are proxies of one's own are trusted.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops
        )
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.session_protection = "strong"
    csrf.init_app(app)
    limiter.init_app(app)
    app.before_request(_refuse_nul_bytes)
    app.before_request(_enforce_idle_timeout)
    app.after_request(_security_headers)
    app.after_request(_audit_refusal)
    app.context_processor(lambda: {"nav_links": nav_links, "allowed_endpoints": allowed_endpoints})
