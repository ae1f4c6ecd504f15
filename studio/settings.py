"""One settings module, driven by environment variables (documented in README.md and .env.example).

Defaults are the embedded ones that `make run` needs: SQLite in WAL mode, Redis on localhost, the
bundled gateway simulator. With DEBUG off, nothing insecure is defaulted: SECRET_KEY and
ALLOWED_HOSTS must come from the environment and `manage.py check --deploy` is clean.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from studio.cache_settings import cache_settings, session_engine
from studio.storage_settings import media_storage

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("STUDIO_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG")

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-development-key-only-for-debug-mode-" + "x" * 20

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
PORT = int(os.environ.get("PORT", "8000"))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "studio.teams",
    "studio.catalog",
    "studio.brands",
    "studio.projects",
    "studio.generation",
    "studio.playlists",
    "studio.activity",
    "studio.review",
    "studio.deliveries",
]

MIDDLEWARE = [
    "studio.health.answer_health_checks",  # first: the probe needs no host, https or session
    "studio.middleware.CompressHtml",  # sees the answer last: gzips the studio's HTML only
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "studio.middleware.revalidate_pages",
]

ROOT_URLCONF = "studio.urls"
WSGI_APPLICATION = "studio.wsgi.application"

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
                "django.template.context_processors.csp",
                "studio.context_processors.studio",
                "studio.teams.context_processors.teams",
            ],
            "libraries": {"studio": "studio.formatting"},
        },
    },
]

# SQLite by default, in WAL mode with IMMEDIATE transactions so that the web server and the
# Celery worker can write the same file without "database is locked" on lock upgrades.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'studio.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # A Celery worker in another process cannot see an in-memory test database, so tests
    # use a file, one per test run so that two runs on one machine never share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-studio-{os.getpid()}.sqlite3")}
else:
    # The same for a database server: two test runs against one PostgreSQL each make their own
    # test database (pytest-xdist adds its worker's name to it).
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{os.getpid()}"}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "media/"  # never served directly: media views check access first
# Uploads: a file over FILE_UPLOAD_MAX_MEMORY_SIZE waits in a temporary file, and its view checks
# its size before reading it (the CSV import refuses files over 1 MB, and sends the checked text
# back on Import, which form encoding can triple: "é" becomes "%C3%A9"): so 4 MB for the fields.
FILE_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 4 * 1024 * 1024
# Who sends a media file's bytes once the view has checked access: "django" (the default, what
# `make run` and the tests use) streams it with Range from the web process; "x-accel" (behind
# nginx, deploy/nginx.conf) answers with an X-Accel-Redirect to STUDIO_MEDIA_ACCEL_PREFIX + the
# file's name, an internal location that nginx serves with Range itself. An unknown value fails
# the start-up checks (studio.ranges.check_media_serving).
STUDIO_MEDIA_SERVING = os.environ.get("STUDIO_MEDIA_SERVING", "django").strip().lower()
STUDIO_MEDIA_ACCEL_PREFIX = os.environ.get("STUDIO_MEDIA_ACCEL_PREFIX", "/protected-media/")
MEDIA_STORAGE = media_storage(os.environ)  # local or s3: see studio/storage_settings.py
STUDIO_STORAGE = MEDIA_STORAGE.choice
STORAGES = {
    "default": MEDIA_STORAGE.backend,
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Mail: team invitations. With SMTP_HOST set they go through that server; without it (make
# run, development) they are printed on the console. The team page shows each invitation's
# link to copy either way, so nobody waits on mail.
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Veo Studio <studio@localhost>")
SILENCED_SYSTEM_CHECKS: list[str] = []
if os.environ.get("SMTP_HOST"):
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": os.environ["SMTP_HOST"],
                "port": int(os.environ.get("SMTP_PORT", "587")),
                "username": os.environ.get("SMTP_USER", ""),
                "password": os.environ.get("SMTP_PASSWORD", ""),
                "use_tls": env_bool("SMTP_USE_TLS", True),
                # Sent while the owner's Invite waits: a stuck server must not hold the page.
                "timeout": 10,
            },
        }
    }
else:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
    # On purpose, also in production: a studio without a mail server still invites by link.
    SILENCED_SYSTEM_CHECKS.append("mail.E001")

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# -- Login throttling (django-axes), on the studio's login and the admin's alike. After
# AXES_FAILURE_LIMIT wrong passwords for one username (from anywhere), or from one client
# address (whatever the usernames and browsers it sends), logins answer 429 with
# registration/lockout.html until the cool-off has passed since the last failure; an
# administrator unlocks sooner with `manage.py axes_reset_username NAME` (or `axes_reset`) or in
# the admin. A successful login clears the account's failures. The trade-off: people behind one
# office NAT share one address and so one client limit (one of them mistyping five times locks
# the others' logins for the cool-off, 15 minutes by default); counting the browser as well
# would let an attacker rotate the User-Agent to escape the limit.
INSTALLED_APPS += ["axes"]
MIDDLEWARE += ["axes.middleware.AxesMiddleware"]  # last, as axes asks: it turns lockouts into 429
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses a locked-out login before the password
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/lockout.html"
AXES_VERBOSE = False  # no banner on every start: `make run` prints one block when ready
# The client's address is the socket's (REMOTE_ADDR): X-Forwarded-For is whatever the client
# writes, and would let one client rotate addresses. Behind a proxy, set LOGIN_CLIENT_IP_HEADER
# to the META key of the single-address header it sets (e.g. HTTP_X_REAL_IP); without it every
# client has the proxy's address. Read per request by studio.teams.throttle.client_address.
LOGIN_CLIENT_IP_HEADER = os.environ.get("LOGIN_CLIENT_IP_HEADER", "REMOTE_ADDR")
AXES_CLIENT_IP_CALLABLE = "studio.teams.throttle.client_address"

# Security: the same headers in development as in production, so nothing breaks on deploy.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads no cookie; the token is rendered into the page
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    # Opt-in: both bind every subdomain, and preload outlives this deployment (browsers ship
    # the list), so an operator turns them on knowingly, never by default.
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS")
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD")
    # Off by choice, not by oversight: the deploy check's reminders for them stay quiet.
    if not SECURE_HSTS_INCLUDE_SUBDOMAINS:
        SILENCED_SYSTEM_CHECKS.append("security.W005")
    if not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS.append("security.W021")

# Django's built-in Content Security Policy: no inline script or style, no eval. htmx is
# configured (templates/base.html) not to inject its indicator styles and not to eval.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:", *MEDIA_STORAGE.origins],
    "media-src": [CSP.SELF, *MEDIA_STORAGE.origins],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# The AI gateway. Without an API key, `make run` starts the bundled simulator and points here.
AIGATEWAY_API_KEY = os.environ.get("AIGATEWAY_API_KEY", "")
AIGATEWAY_BASE_URL = os.environ.get("AIGATEWAY_BASE_URL", "https://api.aigateway.sh").rstrip("/")
AIGATEWAY_SIMULATED = env_bool("AIGATEWAY_SIMULATED")
AIGATEWAY_MEDIA_ORIGINS = env_list("AIGATEWAY_MEDIA_ORIGINS", "https://media.aigateway.sh")
if AIGATEWAY_SIMULATED:
    # The simulator serves its own result files; its origin is allowed only while it is in use.
    AIGATEWAY_MEDIA_ORIGINS.append(AIGATEWAY_BASE_URL)
# Webhooks, for a studio the gateway can reach: each submit names a URL under STUDIO_PUBLIC_URL
# and events are checked with the signing secret. Without both, polling alone is used.
AIGATEWAY_WEBHOOK_SECRET = os.environ.get("AIGATEWAY_WEBHOOK_SECRET", "")
STUDIO_PUBLIC_URL = os.environ.get("STUDIO_PUBLIC_URL", "").rstrip("/")
AIGATEWAY_TIMEOUT = float(os.environ.get("AIGATEWAY_TIMEOUT", "15"))
AIGATEWAY_MAX_MEDIA_BYTES = int(os.environ.get("AIGATEWAY_MAX_MEDIA_BYTES", str(512 * 1024 * 1024)))
# One deadline for a whole result download (AIGATEWAY_TIMEOUT bounds each wait on the socket, so
# a host that drips bytes would hold a worker for ever); past it the take fails and can be
# retried. Keep it well under STUDIO_CLAIM_LEASE_SECONDS: a poll batch stores its finished takes
# one after another, each renewing its own take's lease just before its download, so one
# download plus its poster frame must fit in a lease (a store that outlasts it writes nothing).
AIGATEWAY_MEDIA_DEADLINE_SECONDS = float(os.environ.get("AIGATEWAY_MEDIA_DEADLINE_SECONDS", "90"))

# Celery: Redis by default; `make run` may pick another broker and says which.
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL)
# Every key the studio writes to a Redis starts with "<prefix>:", so that one Redis can serve
# other apps, and other installs of the studio, without either taking the other's tasks. Celery's
# keys get it from kombu's `global_keyprefix` (queues, unacked messages, bindings, the fanout
# and pidbox channels: every write in kombu 5.7), the request budget's from its key prefix.
STUDIO_REDIS_PREFIX = os.environ.get("STUDIO_REDIS_PREFIX", "veo-studio")
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "control_folder": str(_queue_dir / "control"),
        "store_processed": False,
    }
elif CELERY_BROKER_URL.startswith(("redis", "sentinel")):
    CELERY_BROKER_TRANSPORT_OPTIONS = {"global_keyprefix": f"{STUDIO_REDIS_PREFIX}:"}
# Results are not kept (CELERY_TASK_IGNORE_RESULT); should a Redis backend be set, it too.
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"global_keyprefix": f"{STUDIO_REDIS_PREFIX}:"}
# One request budget, shared by every worker in Redis, keeps all gateway calls under the key's
# requests-per-minute limit (600 pay-as-you-go, 10 free). It lives in the broker's Redis unless
# told otherwise; with the embedded broker there is no Redis, and one worker goes unthrottled.
AIGATEWAY_RPM = int(os.environ.get("AIGATEWAY_RPM", "600"))
STUDIO_BUDGET_REDIS_URL = os.environ.get(
    "STUDIO_BUDGET_REDIS_URL", CELERY_BROKER_URL if CELERY_BROKER_URL.startswith("redis") else ""
)
# The cache, shared by the web processes, and sessions read from it: studio/cache_settings.py.
STUDIO_CACHE_REDIS_URL = os.environ.get("STUDIO_CACHE_REDIS_URL", STUDIO_BUDGET_REDIS_URL)
CACHES = cache_settings(STUDIO_CACHE_REDIS_URL, STUDIO_REDIS_PREFIX)
SESSION_ENGINE = session_engine(STUDIO_CACHE_REDIS_URL)
SESSION_CACHE_ALIAS = "sessions"
# A step handed out or claimed is left alone this long (a gateway call, or storing one video,
# fits well inside: a batch renews each take's lease as it stores it); after that it is handed
# out again. The sweep calls a submit stale, or an unapplied webhook event lost, this long after
# its time.
STUDIO_CLAIM_LEASE_SECONDS = float(os.environ.get("STUDIO_CLAIM_LEASE_SECONDS", "120"))
STUDIO_SWEEP_GRACE_SECONDS = float(os.environ.get("STUDIO_SWEEP_GRACE_SECONDS", "20"))
# Requests of one poll batch made side by side, per worker process. 4 suits a gateway close by
# (the simulator); one far away, where each request mostly waits, is served faster by more.
STUDIO_POLL_THREADS = int(os.environ.get("STUDIO_POLL_THREADS", "4"))

# The timings of polling and dispatch, all in seconds, read at each call: the bench runs the
# clock faster by setting them. Why the poll plan's are what they are: generation/polling.py.
# The shortest wait between two polls of one job: the gateway answers 304 to faster polls.
# Tests shorten it together with their simulator's.
STUDIO_POLL_FLOOR_SECONDS = float(os.environ.get("STUDIO_POLL_FLOOR_SECONDS", "3"))
# Between polls while a job is likely to finish: seen done within 6 s, with 1 s to store it.
STUDIO_POLL_NEAR_SECONDS = float(os.environ.get("STUDIO_POLL_NEAR_SECONDS", "5.0"))
# The first poll comes this long after the 3.5th percentile of learned render times.
STUDIO_POLL_FIRST_GRACE_SECONDS = float(os.environ.get("STUDIO_POLL_FIRST_GRACE_SECONDS", "5.2"))
# The longest wait before a job's likely window opens (a poll then only sees it queued).
STUDIO_POLL_EARLY_MAX_SECONDS = float(os.environ.get("STUDIO_POLL_EARLY_MAX_SECONDS", "300"))
# Past the 99th percentile, polls thin out to one every this many seconds.
STUDIO_POLL_LATE_MAX_SECONDS = float(os.environ.get("STUDIO_POLL_LATE_MAX_SECONDS", "20"))
# Until ten takes of a model and duration have finished, polls thin out to this.
STUDIO_POLL_UNLEARNED_MAX_SECONDS = float(os.environ.get("STUDIO_POLL_UNLEARNED_MAX_SECONDS", "8"))
# With webhooks, completion arrives by itself: the safety poll of an overdue job waits this.
STUDIO_WEBHOOK_SAFETY_POLL_SECONDS = float(
    os.environ.get("STUDIO_WEBHOOK_SAFETY_POLL_SECONDS", "120")
)
# How often beat runs the dispatcher, which hands out the steps falling due before its next run.
STUDIO_DISPATCH_EVERY_SECONDS = float(os.environ.get("STUDIO_DISPATCH_EVERY_SECONDS", "1"))
# Polls falling due within this of each other go in one batch, when the last of them is due.
STUDIO_POLL_BATCH_SPREAD_SECONDS = float(os.environ.get("STUDIO_POLL_BATCH_SPREAD_SECONDS", "0.1"))
# The class of the gateway client the worker calls the gateway with (the bench times its calls).
STUDIO_GATEWAY_CLIENT = os.environ.get("STUDIO_GATEWAY_CLIENT", "studio.gateway.GatewayClient")
# How often the sweep looks for stale steps (a lost submit, an unapplied webhook event).
STUDIO_SWEEP_EVERY_SECONDS = float(os.environ.get("STUDIO_SWEEP_EVERY_SECONDS", "10"))
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER")
# Cancels and submits have queues of their own: a worker takes from its queues in turn, so a
# Cancel pressed during a storm of submits, or a poll falling due during one, does not wait
# behind the whole storm. A worker consumes every queue listed here unless told otherwise (-Q).
# Exports run for minutes: their queue has a worker of its own (devtools/processes.py, with
# STUDIO_EXPORT_CONCURRENCY processes, 1 by default), and the takes' worker leaves it alone, so an
# export never holds a process that the dispatcher, a poll or a webhook needs.
# Beat's own tasks (the dispatcher, the sweeps, the deliveries check) have a queue of their own
# too: everything else waits for them to run, and on a busy worker the default queue holds
# seconds of stored videos (a webhook or a poll that finds a take done downloads it); behind
# that backlog every tick expired unrun and takes stood still for minutes.
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES: dict[str, dict] = {
    "celery": {},
    "beat": {},
    "cancels": {},
    "submits": {},
    "exports": {},
}
CELERY_TASK_ROUTES = {
    "studio.generation.tasks.dispatch_due_steps": {"queue": "beat"},
    "studio.generation.tasks.sweep_stale_takes": {"queue": "beat"},
    "studio.playlists.tasks.sweep_stale_exports": {"queue": "beat"},
    "studio.deliveries.tasks.check_deliveries": {"queue": "beat"},
    "studio.generation.tasks.cancel_take": {"queue": "cancels"},
    "studio.generation.tasks.submit_take": {"queue": "submits"},
    "studio.playlists.tasks.export_playlist": {"queue": "exports"},
    "studio.deliveries.tasks.pack_delivery": {"queue": "exports"},
}
# How often beat looks for deliveries ready to pack (Export all): what a user waits at most
# between the last file's end and the packing's start.
STUDIO_DELIVERY_CHECK_SECONDS = float(os.environ.get("STUDIO_DELIVERY_CHECK_SECONDS", "5"))
# Beat keeps its ticks in memory (all are seconds apart; the database is the schedule): a schedule
# file only added a way to die (SQLite's "locking protocol" on a CI machine: no more dispatcher).
CELERY_BEAT_SCHEDULER = "celery.beat:Scheduler"
# A tick left in the broker while no worker runs is dropped after 30 s, not run late by the
# thousand. One that a busy, CPU-starved worker reaches a few seconds late still runs: each is
# safe late (it hands out what is due when it runs), and dropping every tick while the worker
# lags would stall every take (at 5 s, a loaded test machine saw takes wait for minutes).
CELERY_BEAT_SCHEDULE = {
    "dispatch-due-steps": {
        "task": "studio.generation.tasks.dispatch_due_steps",
        "schedule": STUDIO_DISPATCH_EVERY_SECONDS,
        "options": {"expires": 30},
    },
    "sweep-stale-takes": {
        "task": "studio.generation.tasks.sweep_stale_takes",
        "schedule": STUDIO_SWEEP_EVERY_SECONDS,
        "options": {"expires": 30},
    },
    "sweep-stale-exports": {
        "task": "studio.playlists.tasks.sweep_stale_exports",
        "schedule": STUDIO_SWEEP_EVERY_SECONDS,
        "options": {"expires": 30},
    },
    # Export all: packs the deliveries whose exports have all ended (exports.py, a lower
    # layer, cannot tell them), and recovers a packing run that went quiet.
    "check-deliveries": {
        "task": "studio.deliveries.tasks.check_deliveries",
        "schedule": STUDIO_DELIVERY_CHECK_SECONDS,
        "options": {"expires": 30},
    },
}
# Exports: a running export writes a heartbeat at most this often; one quiet for
# STUDIO_EXPORT_STALE_SECONDS has lost its worker and the sweep fails it (the user runs it
# again). The stale bound must outlast a run's longest silence (probing every item before
# ffmpeg reports progress). A queued export unstarted for STUDIO_EXPORT_RESEND_SECONDS lost its
# message (the broker was down) and is sent again, every that long until a worker claims it.
STUDIO_EXPORT_HEARTBEAT_SECONDS = float(os.environ.get("STUDIO_EXPORT_HEARTBEAT_SECONDS", "10"))
STUDIO_EXPORT_STALE_SECONDS = float(os.environ.get("STUDIO_EXPORT_STALE_SECONDS", "300"))
STUDIO_EXPORT_RESEND_SECONDS = float(os.environ.get("STUDIO_EXPORT_RESEND_SECONDS", "30"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # httpx logs every request's URL at INFO, signed media URLs included: keep it quiet.
    "loggers": {"httpx": {"level": "WARNING"}, "httpcore": {"level": "WARNING"}},
}
