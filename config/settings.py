"""CivicGrid settings.

Every deployment-specific value comes from an environment variable (documented in `.env.example`).
The defaults run the platform on SQLite in WAL mode, offline, in Chinese.
"""

import os
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env(
    CIVICGRID_DEBUG=(bool, False),
    CIVICGRID_ALLOWED_HOSTS=(list, ["127.0.0.1", "localhost"]),
    CIVICGRID_CSRF_TRUSTED_ORIGINS=(list, []),
    CIVICGRID_TIME_ZONE=(str, "Asia/Shanghai"),
    CIVICGRID_LANGUAGE_CODE=(str, "zh-hans"),
    CIVICGRID_MAP_TILE_URL=(str, ""),
    CIVICGRID_MAP_TILE_ATTRIBUTION=(str, ""),
    CIVICGRID_GRID_SERIAL_WIDTH=(int, 3),
    CIVICGRID_JURISDICTION_MARGIN_KM=(float, 50.0),
    CIVICGRID_GRID_TOLERANCE_M=(float, 1.0),
    CIVICGRID_LOGIN_FAILURE_LIMIT=(int, 5),
    CIVICGRID_LOGIN_COOLOFF_MINUTES=(int, 30),
    CIVICGRID_SESSION_AGE_MINUTES=(int, 480),
    CIVICGRID_SECURE_COOKIES=(bool, False),
    CIVICGRID_LOG_LEVEL=(str, "INFO"),
    CIVICGRID_ROLLUP_SECONDS=(int, 60),
)
env_file = BASE_DIR / ".env"
if env_file.exists():
    environ.Env.read_env(str(env_file))

DEBUG = env("CIVICGRID_DEBUG")
VAR_DIR = Path(env("CIVICGRID_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """CIVICGRID_SECRET_KEY, else a random key generated once into var/secret_key (mode 0600), so a
    fresh install is secure without a manual step and sessions survive restarts."""
    configured = env("CIVICGRID_SECRET_KEY", default="")
    if configured:
        return configured
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        import secrets

        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(50))
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()

ALLOWED_HOSTS = env("CIVICGRID_ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env("CIVICGRID_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "civicgrid.core",
    "civicgrid.audit",
    "civicgrid.calendars",
    "civicgrid.notifications",
    "civicgrid.areas",
    "civicgrid.accounts",
    "civicgrid.cases",
    "civicgrid.textintel",
    "civicgrid.events",
    "civicgrid.disputes",
    "civicgrid.petitions",
    "civicgrid.open311",
    "civicgrid.desk",
    "civicgrid.assessment",
    "civicgrid.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "civicgrid.core.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "civicgrid.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "civicgrid.web.context_processors.platform",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------------------
DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'civicgrid.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Django's SQLite backend plus one queue for writers across processes (core/sqlite/base.py).
    DATABASES["default"]["ENGINE"] = "civicgrid.core.sqlite"
    # Tests on SQLite run in memory, as Django's default for sqlite3 (tools that look for that
    # engine's name to decide, such as pytest-django's per-worker naming, see it explicitly).
    DATABASES["default"].setdefault("TEST", {}).setdefault("NAME", ":memory:")
    # WAL lets readers run beside the writer; IMMEDIATE takes the write lock at BEGIN so two
    # writers queue (busy timeout) instead of failing with "database is locked" mid-transaction.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # JIT compilation costs 50–150 ms on the larger inbox and figure queries and never pays back on
    # queries this short (measured at 5,000,000 events: docs/scaling.md).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Keep each worker's connection between requests (a PostgreSQL connect with SCRAM costs milliseconds,
# a SQLite one re-runs its PRAGMAs); a connection that went bad is checked and replaced.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CIVICGRID_DB_CONN_MAX_AGE", default=300)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- caches ---------------------------------------------------------------------------------------
# "default" is per process (fast, for derived data). "shared" lives in the database, so every worker
# process sees the same counters: the citizen pages' rate limits use it (`createcachetable` makes the
# table; `make demo` and the test runner run it).
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "shared": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "civicgrid_cache"},
}
CIVICGRID_CITIZEN_CACHE = "shared"
# How often the worker rebuilds the assessment rollups' dirty days (docs/assessment.md).
CIVICGRID_ROLLUP_SECONDS = env("CIVICGRID_ROLLUP_SECONDS")
# Trusted reverse proxies in front of the citizen pages (0: use REMOTE_ADDR, ignore X-Forwarded-For).
CIVICGRID_CITIZEN_PROXY_COUNT = env.int("CIVICGRID_CITIZEN_PROXY_COUNT", default=0)

# --- auth -----------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Lockout after repeated failures (django-axes): by username, so an attacker cannot lock a whole
# office behind one NAT address; cool-off releases the lock automatically.
AXES_FAILURE_LIMIT = env("CIVICGRID_LOGIN_FAILURE_LIMIT")
AXES_COOLOFF_TIME = env("CIVICGRID_LOGIN_COOLOFF_MINUTES") / 60
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# axes.W006 asks for ip_address as well: on a government intranet whole offices share one NAT
# address, so locking by address would let one mistyping clerk lock out the office.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

SESSION_COOKIE_AGE = env("CIVICGRID_SESSION_AGE_MINUTES") * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env("CIVICGRID_SECURE_COOKIES")
CSRF_COOKIE_SECURE = env("CIVICGRID_SECURE_COOKIES")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- i18n -----------------------------------------------------------------------------------------
LANGUAGE_CODE = env("CIVICGRID_LANGUAGE_CODE")
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("CIVICGRID_TIME_ZONE")
USE_I18N = True
USE_TZ = True

# --- static assets: vendored from npm's node_modules at setup, never from a CDN -------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/leaflet", NODE_MODULES / "leaflet" / "dist"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/echarts", NODE_MODULES / "echarts" / "dist"),
]

# --- uploads (event photos): under var/, served by the front web server, never by Django ------------
MEDIA_ROOT = Path(env("CIVICGRID_MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "media/"
# Largest photo accepted at intake or as evidence, in MB (checked with the file's magic bytes).
CIVICGRID_MAX_PHOTO_MB = env.float("CIVICGRID_MAX_PHOTO_MB", default=10)
# Likely duplicates: open events of the same category this close, reported this recently.
CIVICGRID_DUPLICATE_RADIUS_M = env.float("CIVICGRID_DUPLICATE_RADIUS_M", default=100)
CIVICGRID_DUPLICATE_WINDOW_HOURS = env.float("CIVICGRID_DUPLICATE_WINDOW_HOURS", default=72)
# Working days a unit has to object to a dispatch (派单异议).
CIVICGRID_OBJECTION_WORKING_DAYS = env.int("CIVICGRID_OBJECTION_WORKING_DAYS", default=1)

# --- API ------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: a failed token is then a 401 with "WWW-Authenticate: Bearer", as RFC 6750 asks.
        "civicgrid.accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "civicgrid.core.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "CivicGrid API",
    "DESCRIPTION": _("市域社会治理平台 REST API"),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and Redoc served from the drf-spectacular-sidecar wheel: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Two models have a "kind" field with different choices: name their enums explicitly.
    "ENUM_NAME_OVERRIDES": {
        "UnitKindEnum": "civicgrid.accounts.choices.UnitKind",
        "GridKindEnum": "civicgrid.areas.choices.GridKind",
    },
}

# --- CivicGrid ------------------------------------------------------------------------------------
CIVICGRID = {
    # Leaflet draws grids from GeoJSON with no basemap unless an intranet tile server is configured.
    "MAP_TILE_URL": env("CIVICGRID_MAP_TILE_URL"),
    "MAP_TILE_ATTRIBUTION": env("CIVICGRID_MAP_TILE_ATTRIBUTION"),
    # Digits after the village code in a grid code (数字城管 practice: 3 → 15-digit grid codes).
    "GRID_SERIAL_WIDTH": env("CIVICGRID_GRID_SERIAL_WIDTH"),
    # A point further than this from every area is "far outside the jurisdiction" and refused.
    "JURISDICTION_MARGIN_KM": env("CIVICGRID_JURISDICTION_MARGIN_KM"),
    # Digitising noise tolerated when a grid must lie inside its village and not overlap neighbours.
    "GRID_TOLERANCE_M": env("CIVICGRID_GRID_TOLERANCE_M"),
}

# --- background work (docs/background-work.md) ----------------------------------------------------
# Django's task API (django-tasks backport) on the database backend: no broker; `manage.py worker`
# runs the queue and the periodic jobs, and workers on several machines share the database.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# Dotted paths of the classes that send SMS and email (civicgrid.notifications.senders.Sender).
# The default writes each message to the log: nothing leaves the machine until a deployment plugs
# in its gateway.
CIVICGRID_SMS_SENDER = env("CIVICGRID_SMS_SENDER", default="civicgrid.notifications.senders.LoggingSender")
CIVICGRID_EMAIL_SENDER = env(
    "CIVICGRID_EMAIL_SENDER", default="civicgrid.notifications.senders.LoggingSender"
)
# Outbound delivery: attempts before a message is marked failed, first retry delay (doubling), and
# how long a worker's claim on a message lasts before another worker may retry it.
CIVICGRID_OUTBOUND_MAX_ATTEMPTS = env.int("CIVICGRID_OUTBOUND_MAX_ATTEMPTS", default=5)
CIVICGRID_OUTBOUND_BACKOFF_SECONDS = env.int("CIVICGRID_OUTBOUND_BACKOFF_SECONDS", default=60)
CIVICGRID_OUTBOUND_LEASE_SECONDS = env.int("CIVICGRID_OUTBOUND_LEASE_SECONDS", default=300)
# Case clocks: the share of a limit after which a case turns yellow, and how often the worker sweeps.
CIVICGRID_DEADLINE_WARN_SHARE = env.float("CIVICGRID_DEADLINE_WARN_SHARE", default=0.8)
CIVICGRID_DEADLINE_SWEEP_SECONDS = env.int("CIVICGRID_DEADLINE_SWEEP_SECONDS", default=60)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("CIVICGRID_LOG_LEVEL")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
