"""The portal's WSGI application: sessions, CSRF, catalogues, security headers, error pages,
and the blueprints: the entrepreneur's and the support staff's pages, the assemblies
(governance), matching, and the network operator's. Each blueprint module may add its menu
entries by role in a ``NAVIGATION`` dict of its own, merged here after the first ones."""

from __future__ import annotations

import hmac
import secrets
import uuid
from datetime import date

from flask import Flask, abort, g, render_template, request, session
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from cae_portal.adapters import catalogues
from cae_portal.adapters.services import HttpGateway
from cae_portal.adapters.sessions import (
    DatabaseSessionStore,
    MemorySessionStore,
    ServerSessionInterface,
)
from cae_portal.adapters.settings import PortalSettings
from cae_portal.domain.money import format_cents
from cae_portal.usecases.gateway import NotYours, ServiceError, Unavailable, Viewer

# what each role sees in the menu: (endpoint, label msgid); later roles add theirs
NAVIGATION = {
    "entrepreneur": [
        ("entrepreneur.home", "Home"),
        ("entrepreneur.treasury", "Treasury statement"),
        ("entrepreneur.income", "Income statement"),
        ("entrepreneur.simulator", "Salary"),
        ("entrepreneur.payslips", "Payslips"),
        ("entrepreneur.contract", "My contract"),
    ],
    "staff": [
        ("staff.members", "Members"),
        ("staff.deadlines", "Associate deadlines"),
        ("staff.follow_up", "Follow-up interviews"),
        ("staff.entries", "Entries"),
        ("staff.closing", "Month closing"),
        ("staff.trial_balance", "Trial balance"),
        ("staff.fec_page", "FEC"),
        ("staff.runs", "Payroll"),
        ("staff.salary_form", "Salary above the budget"),
    ],
}


def home_endpoint(viewer: Viewer | None) -> str:
    """Where a signed-in person lands: their role's first page."""
    if viewer is not None and viewer.is_staff and viewer.cooperative_id:
        return "staff.members"
    if viewer is not None and viewer.is_operator and not viewer.is_entrepreneur:
        return "network.cooperatives"
    return "entrepreneur.home"

# the forms that send more than the 64 KiB of the others: a CSV file of people (at most
# 1 MB for the members service, whose 413 the page shows next to the field)
LARGE_FORMS = {"staff.import_members": 2 * 1024 * 1024}

MONTHS_SHORT = ("Jan.", "Feb.", "Mar.", "Apr.", "May.", "Jun.", "Jul.", "Aug.", "Sep.", "Oct.",
                "Nov.", "Dec.")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")


def create_app(settings: PortalSettings | None = None, *, today=date.today) -> Flask:
    settings = settings or PortalSettings.from_env()
    app = Flask(__name__)
    if not settings.development:
        # behind the Gateway, which ends TLS: the addresses the portal writes (the OIDC
        # redirect URI) are https, from the one proxy's X-Forwarded-Proto; the host is the
        # request's own (the Gateway keeps it; X-Forwarded-Host, which a client could
        # send through, is not read)
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=0, x_proto=1, x_host=0)
    app.config.update(PORTAL=settings, SECRET_KEY=secrets.token_hex(32),
                      MAX_CONTENT_LENGTH=64 * 1024)
    app.session_interface = ServerSessionInterface(session_store(settings),
                                                   secure=not settings.development)
    translations = catalogues.load_all()
    menu_of = {role: list(items) for role, items in NAVIGATION.items()}
    app.extensions["portal.menu"] = menu_of
    app.extensions["portal.today"] = today
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.jinja_env.install_gettext_callables(
        gettext=lambda message: g.translations.gettext(message),
        ngettext=lambda singular, plural, n: g.translations.ngettext(singular, plural, n),
        newstyle=True)

    @app.before_request
    def _language_and_csrf():
        language = request.accept_languages.best_match(catalogues.LANGUAGES,
                                                       catalogues.DEFAULT)
        g.language = language or catalogues.DEFAULT
        g.translations = translations[g.language]
        if getattr(session, "store_down", False):
            abort(503)
        if "csrf" not in session:
            session["csrf"] = secrets.token_urlsafe(32)
        if request.endpoint in LARGE_FORMS:  # before the form is read (CSRF below)
            request.max_content_length = request.max_form_memory_size = \
                LARGE_FORMS[request.endpoint]
        if request.method == "POST":
            sent = request.form.get("csrf", "")
            if not hmac.compare_digest(sent.encode(), session["csrf"].encode()):
                abort(403, description="csrf")

    @app.after_request
    def _headers(response):
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        if request.endpoint not in ("static", "health_live", "health_ready"):
            response.headers["Cache-Control"] = "private, no-store"
        return response

    @app.context_processor
    def _template_helpers():
        viewer = current_viewer()
        menu = [item for role in sorted(viewer.roles) for item in menu_of.get(role, [])] \
            if viewer else []
        return {"viewer": viewer, "menu": menu, "euros": format_cents,
                "csrf_token": session.get("csrf", ""), "language": g.get("language", "fr"),
                "month_name": lambda m: t(MONTHS[int(m) - 1]),
                "month_short": lambda m: t(MONTHS_SHORT[int(m) - 1]),
                "period_name": period_name, "development": settings.development,
                "day": day_text}

    @app.get("/health/live")
    def health_live():
        return {"status": "ok"}

    @app.get("/health/ready")
    def health_ready():
        try:
            app.session_interface.store.check()
        except Exception as error:  # noqa: BLE001 - any failure: not ready, said why
            return {"status": "unavailable",
                    "checks": {"sessions": error.__class__.__name__}}, 503
        return {"status": "ok", "checks": {"sessions": "ok"}}

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        return error_page(error.code or 500, error.description)

    @app.errorhandler(ServiceError)
    def _service_error(error: ServiceError):
        if isinstance(error, Unavailable):
            return error_page(503)
        if error.status == 401:
            session.clear()
            return error_page(401)
        if error.status in (403, 404):
            return error_page(error.status)
        if error.status == 422:
            return error_page(400, error.detail)
        app.logger.error("service error %s", error)
        return error_page(502)

    @app.errorhandler(NotYours)
    def _not_yours(_error):
        return error_page(403)

    from cae_portal.entrypoints import assemblies, auth, entrepreneur, matching, network, staff

    for module in (auth, entrepreneur, staff, assemblies, matching, network):
        app.register_blueprint(module.blueprint)
        for role, items in getattr(module, "NAVIGATION", {}).items():
            menu_of.setdefault(role, []).extend(items)
    auth.setup(app, settings)
    return app


def form_key() -> str:
    """The form's idempotency key (its hidden ``cle``), or a new one: a form sent twice
    (a double click, a reload) is done once."""
    return request.form.get("cle") or uuid.uuid4().hex


def form_id(text: str) -> str | None:
    """An id a form sent (a member's, a giver's), written the one way the services read it
    (``a0000000-0000-4000-8000-000000000001``); None for anything else (blank, ``../``,
    ``?``, ``urn:uuid:``…): such an id goes into the path of a service's URL."""
    text = text.strip()
    try:
        value = uuid.UUID(text)
    except ValueError:
        return None
    return str(value) if str(value) == text.lower() else None


def keep_notice(text: str) -> None:
    """A sentence for the next page shown (after a redirect): what was just done."""
    session["notice"] = text


def render_page(template: str, status: int = 200, **values):
    """A page with the notice left for it and a new idempotency key for its forms."""
    return render_template(template, notice=session.pop("notice", None),
                           new_key=uuid.uuid4().hex, **values), status


def session_store(settings: PortalSettings):
    """The database's when CAE_PORTAL_SESSION_DATABASE_URL is set (several replicas), else
    this process's memory."""
    ttl = settings.session_hours * 3600
    if not settings.session_database_url:
        return MemorySessionStore(ttl)
    from caekit.db import make_engine

    engine = make_engine(settings.session_database_url, pool_size=settings.session_pool_size,
                         max_overflow=0)
    return DatabaseSessionStore(engine, ttl)


def t(message: str, **values) -> str:
    """The message in the request's language, with its %(name)s values filled in."""
    translated = g.translations.gettext(message) if "translations" in g else message
    return translated % values if values else translated


def refusal_in_words(refused, rules: dict, over_budget, messages: dict | None = None) -> dict:
    """A service's refusal as the words shown next to each field: a salary over the budget
    through ``over_budget(cost=, available=, shortfall=, largest=)`` (amounts in euros), a
    known rule in the page's own words (``rules``), else the service's message (in its
    French form when ``messages`` has one)."""
    shown = {}
    for field, said in refused.fields.items():
        code = refused.codes.get(field)
        if code == "budget.exceeded" and refused.figures:
            f = refused.figures
            shown[field] = [over_budget(
                cost=format_cents(f["employer_cost_cents"]),
                available=format_cents(f["available_cents"]),
                shortfall=format_cents(f["shortfall_cents"]),
                largest=format_cents(f["budget_pays_gross_cents"]))]
        elif code in rules:
            shown[field] = [t(rules[code])]
        else:
            shown[field] = [t(messages[m]) if messages and m in messages else m for m in said]
    return shown


def day_text(iso: str | None) -> str:
    """``2026-01-05`` -> ``05/01/2026``; nothing -> a dash."""
    if not iso:
        return "\N{EM DASH}"
    return date.fromisoformat(str(iso)[:10]).strftime("%d/%m/%Y")


def period_name(period: str) -> str:
    year, month = period.split("-")
    return f"{t(MONTHS[int(month) - 1])} {year}"


ERRORS = {
    400: ("Request refused", "The page could not use what was sent."),
    401: ("Session ended", "Your session has ended: please sign in again."),
    403: ("Access refused", "This page is not yours: you can only see and change your own "
                            "pages."),
    404: ("Page not found", "This page does not exist, or no longer does."),
    405: ("Request refused", "This page cannot be used that way."),
    413: ("Request refused", "What was sent is too large."),
    502: ("Service error", "A service of the platform answered with an error. Please try "
                           "again later."),
    503: ("Service unavailable", "A service of the platform does not answer right now. "
                                 "Please try again in a moment."),
}

SIGN_IN_REFUSED = ("Sign-in refused", "Your sign-in was not confirmed: it was cancelled at "
                                      "your network's sign-in page, took too long, or this "
                                      "sign-in link was already used. Nothing was kept: "
                                      "please sign in again.")

STAFF_403 = ("This page is not yours: you can only see the pages of your own cooperative's "
             "support staff.")


def error_page(status: int, description: str | None = None):
    title, text = ERRORS.get(status, ERRORS[502] if status >= 500 else ERRORS[400])
    viewer = current_viewer()
    if status == 403 and viewer is not None and viewer.is_staff:
        text = STAFF_403
    if status == 403 and description == "csrf":
        title, text = ("Form refused", "This form has expired or was not sent from this "
                                       "portal: nothing was saved. Please open the page again "
                                       "and send it from there.")
    if status == 401 and description == "oidc":
        title, text = SIGN_IN_REFUSED
    return render_template("error.html", status=status, title=t(title), text=t(text)), status


def current_viewer() -> Viewer | None:
    person = session.get("viewer")
    if not person or "token" not in session:
        return None
    return Viewer(person["subject"], person.get("cooperative_id"),
                  frozenset(person.get("roles", ())), person.get("name", ""),
                  person.get("activity_code"), person.get("cooperative_name", ""))


def gateway_for_viewer() -> HttpGateway:
    from flask import current_app

    settings: PortalSettings = current_app.config["PORTAL"]
    return HttpGateway(settings.service_urls, session["token"],
                       timeout=settings.service_timeout,
                       correlation_id=request.headers.get("X-Correlation-ID"))


def today() -> date:
    from flask import current_app

    return current_app.extensions["portal.today"]()
