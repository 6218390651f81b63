"""Settings for the IMS clinic app, read from environment variables.

Every variable is listed with its default in README.md ("Configuration"); each is read
through a typed helper of clinic/env.py that refuses a malformed value.
The defaults give a self-contained development setup: SQLite and a filesystem
message broker under var/, mail written to files in var/mail/.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
import phonenumbers
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from clinic.env import envbool, envclock, envhours, envint, envlist, envstr

BASE_DIR = Path(__file__).resolve().parent.parent

# On by default for a development checkout; production sets DEBUG=0 (and the check
# below refuses debug mode for any host that is not this machine).
DEBUG = envbool("DEBUG", True)
VAR_DIR = Path(envstr("VAR_DIR", str(BASE_DIR / "var")))


def _development_secret_key() -> str:
    """A key generated once per checkout and kept in var/, for DEBUG only."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment, or set DEBUG=1 for "
            "development, which keeps a generated key in var/secret_key."
        )
    SECRET_KEY = _development_secret_key()

_LOCAL_HOSTS = ["localhost", "127.0.0.1", "[::1]"]
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", _LOCAL_HOSTS if DEBUG else [])
if DEBUG and not set(ALLOWED_HOSTS) <= {*_LOCAL_HOSTS, "testserver"}:
    raise ImproperlyConfigured(
        "DEBUG is on while ALLOWED_HOSTS names other hosts: debug pages would show patient "
        "data to the network. Set DEBUG=0 for any deployment."
    )
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "clinic.admin_apps.ClinicAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "clinic",
    "intake",
    "sessions.apps.TreatmentSessionsConfig",
]

MIDDLEWARE = [
    # First, so that every response gets no-store, refusals by the middleware below too
    # (static files, served by whitenoise under STATIC_URL, keep their long cache).
    "clinic.security.NoStoreMiddleware",
    # Second, so that its duration covers all the app's work on the request.
    "clinic.timing.ServerTimingMiddleware",
    "clinic.security.RequestSizeLimitMiddleware",
    "clinic.security.RequestInputMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "clinic.security.SessionTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "clinic.access.RoleAccessMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "clinic.urls"
WSGI_APPLICATION = "clinic.wsgi.application"

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
                "clinic.context_processors.clinic",
            ],
        },
    },
]

# Database: an embedded SQLite file unless DATABASE_URL is set.
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    try:
        DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"DATABASE_URL is not a database URL we understand: {exc}"
        ) from None
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # PostgreSQL's default planner costs assume spinning disks; with them a name search
        # matching a few thousand patients reads the whole table (27 ms) instead of the
        # trigram index (8 ms) at 100,000 patients (docs/PERFORMANCE.md). SSD costs.
        options = DATABASES["default"].setdefault("OPTIONS", {})
        options["options"] = f"{options.get('options', '')} -c random_page_cost=1.1".strip()
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "clinic.sqlite3"),
            "OPTIONS": {
                # WAL lets the web server read while the Celery worker writes;
                # IMMEDIATE takes the write lock up front instead of failing mid-transaction.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses locked-out users and IPs first
    "clinic.roles.RoleModelBackend",  # Django's ModelBackend, roles loaded with the user
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-ca"
TIME_ZONE = envstr("TIME_ZONE", "America/Edmonton")
USE_I18N = True
USE_TZ = True

CLINIC_NAME = envstr("CLINIC_NAME", "Bow River Physiotherapy & IMS")
# The name texts begin with: a short form keeps them to one SMS segment.
CLINIC_SMS_NAME = envstr("CLINIC_SMS_NAME", "").strip() or CLINIC_NAME
# The currency of every amount (billing stores Decimal amounts in it).
CLINIC_CURRENCY = envstr("CLINIC_CURRENCY", "CAD")
# The clinic's public web site: where the clinic's name leads on pages for patients
# (and signed-out visitors). Empty: the name is not a link.
CLINIC_PUBLIC_URL = envstr("CLINIC_PUBLIC_URL", "").strip()
if CLINIC_PUBLIC_URL and not CLINIC_PUBLIC_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured(
        f"CLINIC_PUBLIC_URL must start with https:// (got {CLINIC_PUBLIC_URL!r})"
    )

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(envstr("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Documents on the record (sessions/documents/) are health records: never under a public
# URL, only through a view that checks role and object and audits the read. They are kept
# on the local disk under var/documents/ unless DOCUMENTS_S3_BUCKET names an S3-compatible
# bucket (django-storages; README, "Documents"). Private by design: no ACL, no public URL.
DOCUMENTS_S3_BUCKET = envstr("DOCUMENTS_S3_BUCKET", "")
if DOCUMENTS_S3_BUCKET:
    STORAGES["documents"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": DOCUMENTS_S3_BUCKET,
            "endpoint_url": envstr("DOCUMENTS_S3_ENDPOINT_URL", "") or None,
            "region_name": envstr("DOCUMENTS_S3_REGION", "") or None,
            "access_key": envstr("DOCUMENTS_S3_ACCESS_KEY_ID", "") or None,
            "secret_key": envstr("DOCUMENTS_S3_SECRET_ACCESS_KEY", "") or None,
            "location": envstr("DOCUMENTS_S3_PREFIX", "documents"),
            "default_acl": None,  # the bucket's own (private) policy
            "querystring_auth": True,  # no address of ours ever points at the bucket
            "file_overwrite": False,
            "object_parameters": {"ServerSideEncryption": "AES256"}
            if envbool("DOCUMENTS_S3_ENCRYPT", True)
            else {},
        },
    }
else:
    STORAGES["documents"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(VAR_DIR / "documents"), "base_url": None},
    }
# Limits on what is uploaded (sessions/documents/files.py; README, "Documents"): per file,
# per patient (everything stored, deleted files included: they are kept), files per
# upload, and an image's pixels (a small file can decode into a huge picture).
DOCUMENT_MAX_FILE_BYTES = envint("DOCUMENT_MAX_FILE_BYTES", 20 * 1024 * 1024, minimum=1024)
DOCUMENT_MAX_PATIENT_BYTES = envint("DOCUMENT_MAX_PATIENT_BYTES", 500 * 1024 * 1024, minimum=1024)
DOCUMENT_MAX_FILES_PER_UPLOAD = envint("DOCUMENT_MAX_FILES_PER_UPLOAD", 10, minimum=1)
DOCUMENT_MAX_IMAGE_PIXELS = envint("DOCUMENT_MAX_IMAGE_PIXELS", 100_000_000, minimum=1)
# How long a "send us a document" link works, and how long a deleted document's file is
# kept: health records are kept 10 years (Ontario's College of Physiotherapists: 10 years
# after the last visit, or after the 18th birthday for a child).
DOCUMENT_REQUEST_LINK_DAYS = envint("DOCUMENT_REQUEST_LINK_DAYS", 14, minimum=1)
DOCUMENT_RETENTION_YEARS = envint("DOCUMENT_RETENTION_YEARS", 10, minimum=1)
# The only addresses that take files: a multipart body there may be as large as a full
# upload (clinic.security.request_body_limit); everywhere else MAX_REQUEST_BYTES holds.
UPLOAD_URL_NAMES = [
    "sessions:documents",
    "sessions:intake-documents",
    "sessions:document-request-upload",
]
# An upload larger than DOCUMENT_MAX_FILE_BYTES is skipped as it streams in, not first
# written to disk whole (clinic/uploads.py); the page names it and says the limit.
FILE_UPLOAD_HANDLERS = [
    "clinic.uploads.FileSizeGuard",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
# A refused form focuses its first error (clinic/form_errors.py).
FORM_RENDERER = "clinic.form_errors.Renderer"

# Email: files in var/mail/ (one per message) unless EMAIL_HOST is set.
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "clinic@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_HOST = envstr("EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = envint("EMAIL_PORT", 587, minimum=1)
    EMAIL_HOST_USER = envstr("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = envstr("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", True)
    EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 10, minimum=1)
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = Path(envstr("EMAIL_FILE_PATH", str(VAR_DIR / "mail")))
EMAIL_BACKEND = envstr("EMAIL_BACKEND", EMAIL_BACKEND)

# Text messages (clinic/sms/): files in var/sms/ (one per message) unless Twilio is
# configured. The callback and reply webhooks are checked with TWILIO_AUTH_TOKEN.
TWILIO_ACCOUNT_SID = envstr("TWILIO_ACCOUNT_SID", "")
TWILIO_AUTH_TOKEN = envstr("TWILIO_AUTH_TOKEN", "")
TWILIO_FROM_NUMBER = envstr("TWILIO_FROM_NUMBER", "")
TWILIO_MESSAGING_SERVICE_SID = envstr("TWILIO_MESSAGING_SERVICE_SID", "")
# Where the library sends its requests; the tests point it at a local fake provider.
TWILIO_API_BASE = envstr("TWILIO_API_BASE", "https://api.twilio.com").rstrip("/")
TWILIO_TIMEOUT_SECONDS = envint("TWILIO_TIMEOUT_SECONDS", 10, minimum=1)
SMS_FILE_PATH = Path(envstr("SMS_FILE_PATH", str(VAR_DIR / "sms")))
SMS_BACKEND = envstr(
    "SMS_BACKEND",
    "clinic.sms.backends.twilio.SmsBackend"
    if TWILIO_ACCOUNT_SID
    else "clinic.sms.backends.filebased.SmsBackend",
)
if SMS_BACKEND == "clinic.sms.backends.twilio.SmsBackend":
    if not (TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN):
        raise ImproperlyConfigured(
            "SMS through Twilio needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN"
        )
    if not (TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID):
        raise ImproperlyConfigured(
            "SMS through Twilio needs a sender: TWILIO_FROM_NUMBER (+1...) or "
            "TWILIO_MESSAGING_SERVICE_SID"
        )
if not TWILIO_API_BASE.startswith(("https://", "http://")):
    raise ImproperlyConfigured(
        f"TWILIO_API_BASE must start with https:// (got {TWILIO_API_BASE!r})"
    )

# Celery: a filesystem broker under var/ unless CELERY_BROKER_URL is set.
CELERY_BROKER_URL = envstr("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL == "filesystem://":
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    # Redis redelivers unacknowledged tasks after this many seconds; no task of ours
    # runs nearly that long, and none is scheduled with an ETA (due times live in the DB).
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
# The worker keeps LOGGING above (its handlers redact link tokens) instead of its own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = envstr(
    "CELERY_BEAT_SCHEDULE_FILENAME", str(VAR_DIR / "celerybeat-schedule")
)
# How often beat claims due follow-ups: no message waits longer than this to be claimed.
FOLLOWUP_DISPATCH_SECONDS = envint("FOLLOWUP_DISPATCH_SECONDS", 15, minimum=1)
# How often beat closes wait-list offers that ran out.
WAITLIST_EXPIRE_SECONDS = envint("WAITLIST_EXPIRE_SECONDS", 60, minimum=1)
CELERY_BEAT_SCHEDULE = {
    # Exactly one beat runs this; it claims due messages and queues their sends.
    "dispatch-due-messages": {
        "task": "sessions.tasks.dispatch_due_messages",
        "schedule": float(FOLLOWUP_DISPATCH_SECONDS),
    },
    "purge-form-tokens": {"task": "clinic.tasks.purge_form_tokens", "schedule": 24 * 60 * 60.0},
    # Wait-list offers that ran out: closed, their slots offered to the next in line.
    "waitlist-expire-offers": {
        "task": "sessions.tasks.waitlist_expire_offers",
        "schedule": float(WAITLIST_EXPIRE_SECONDS),
    },
    # Deleted documents' files past DOCUMENT_RETENTION_YEARS: removed from storage, each
    # night at a quiet hour, clinic time (CELERY_TIMEZONE).
    "documents-purge": {
        "task": "sessions.tasks.documents_purge",
        "schedule": crontab(hour=3, minute=15),
    },
}

# HTTPS and cookies. HTTPS=1 in production (behind TLS); see README "Security".
HTTPS = envbool("HTTPS", not DEBUG)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and envbool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000 if HTTPS else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", False)
# Behind a TLS proxy: trust its X-Forwarded-Proto, and the last X-Forwarded-For
# hop (the client address the proxy saw) for the audit log.
BEHIND_TLS_PROXY = envbool("BEHIND_TLS_PROXY", False)
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
# Staff sessions: an idle timeout and an absolute lifetime (clinic.security).
SESSION_IDLE_SECONDS = envint("SESSION_IDLE_SECONDS", 15 * 60, minimum=60)
SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", 10 * 60 * 60, minimum=60)
# Spent one-time form tokens (clinic.once) are kept this long: more than a session lasts.
FORM_TOKEN_KEEP_HOURS = max(48, SESSION_COOKIE_AGE // 3600 + 1)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# Multi-factor authentication (TOTP, django-otp): always for physiotherapists and
# clinic admins; for front desk when the clinic chooses.
MFA_FRONT_DESK = envbool("MFA_FRONT_DESK", False)
OTP_TOTP_ISSUER = envstr("CLINIC_NAME", "IMS Clinic")
# No per-device throttling: anyone with the password could then lock the owner out of
# their own codes. Wrong codes are limited per session and per username and address
# instead (clinic.mfa.verify).
OTP_TOTP_THROTTLE_FACTOR = 0
OTP_STATIC_THROTTLE_FACTOR = 0
# Login throttling (django-axes): lock a username from an IP after repeated failures.
AXES_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=envint("LOGIN_LOCKOUT_MINUTES", 30, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Failures are forgotten only once sign-in is complete (clinic.mfa.sign_in_completed):
# a right password followed by wrong second-factor codes keeps counting.
AXES_RESET_ON_SUCCESS = False
AXES_CLIENT_IP_CALLABLE = "clinic.audit.client_ip"
AXES_VERBOSE = False
# Content-Security-Policy (django-csp): our own files only, no inline script or style.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
    }
}
# Patient links: after this many bad links from one address within the window, links
# from that address are refused for the rest of the window (clinic.links).
BAD_LINK_LIMIT = envint("BAD_LINK_LIMIT", 20, minimum=1)
BAD_LINK_WINDOW_SECONDS = envint("BAD_LINK_WINDOW_SECONDS", 15 * 60, minimum=1)
# Password resets asked on the public page: per requesting address and per account
# within the window; past either limit no mail goes out and the page answers the same.
PASSWORD_RESET_ADDRESS_LIMIT = envint("PASSWORD_RESET_ADDRESS_LIMIT", 10, minimum=1)
PASSWORD_RESET_ACCOUNT_LIMIT = envint("PASSWORD_RESET_ACCOUNT_LIMIT", 3, minimum=1)
PASSWORD_RESET_WINDOW_SECONDS = envint("PASSWORD_RESET_WINDOW_SECONDS", 60 * 60, minimum=1)
# Online booking (sessions.online.guards): per address and per email, within the window,
# how many slot holds, sign-in or confirmation codes and bookings; past a limit the
# page answers 429 and says to wait or call.
ONLINE_HOLD_LIMIT = envint("ONLINE_HOLD_LIMIT", 20, minimum=1)
ONLINE_CODE_LIMIT = envint("ONLINE_CODE_LIMIT", 5, minimum=1)
ONLINE_BOOKING_LIMIT = envint("ONLINE_BOOKING_LIMIT", 10, minimum=1)
ONLINE_LIMIT_WINDOW_SECONDS = envint("ONLINE_LIMIT_WINDOW_SECONDS", 60 * 60, minimum=1)
# A shared cache for those counters across web processes: Redis when REDIS_URL is set.
REDIS_URL = envstr("REDIS_URL", "")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
# Refuse very large requests early (no form of ours comes near this).
DATA_UPLOAD_MAX_MEMORY_SIZE = envint("MAX_REQUEST_BYTES", 1024 * 1024, minimum=1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 500
X_FRAME_OPTIONS = "DENY"

# Every handler drops the secrets that travel in URLs (patient-link and password-reset
# tokens) from what it writes (clinic.logs); gunicorn's logs get the same through
# --logger-class clinic.logs.GunicornLogger (Dockerfile).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_tokens": {"()": "clinic.logs.RedactTokens"}},
    "formatters": {
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["redact_tokens"]},
        # The development server's request log ("GET /i/<token>/ ..."), as Django's own.
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["redact_tokens"],
        },
    },
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # Django's own console and mail handlers do not redact: its records go to ours.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
        # Twilio's library logs each request's URL and headers at INFO.
        "twilio.http_client": {"level": "WARNING"},
    },
}

# Absolute links in emails (intake, aftercare, check-ins) start with this.
SITE_URL = envstr("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
INTAKE_LINK_DAYS = envint("INTAKE_LINK_DAYS", 7, minimum=1)

# Follow-ups (sessions/followups/): check-ins after a needling visit, reminders.
FOLLOWUP_CHECKIN_HOURS = envhours("FOLLOWUP_CHECKIN_HOURS", "24,48")
REMINDER_TIME = envclock("REMINDER_TIME", "10:00")  # the day before the visit
QUIET_HOURS_START = envclock("QUIET_HOURS_START", "21:00")
QUIET_HOURS_END = envclock("QUIET_HOURS_END", "08:00")
FOLLOWUP_LEASE_SECONDS = envint("FOLLOWUP_LEASE_SECONDS", 300, minimum=1)
FOLLOWUP_MAX_ATTEMPTS = envint("FOLLOWUP_MAX_ATTEMPTS", 6, minimum=1)
# Messages per send task: fewer broker round trips, one mail connection reused.
FOLLOWUP_SEND_BATCH = envint("FOLLOWUP_SEND_BATCH", 25, minimum=1)
CHECKIN_LINK_DAYS = envint("CHECKIN_LINK_DAYS", 7, minimum=1)
# Answers one check-in link takes (a patient may correct an answer; no link takes
# unlimited writes).
CHECKIN_MAX_ANSWERS = envint("CHECKIN_MAX_ANSWERS", 20, minimum=1)
# Checked again at send time: a reminder for a visit that has started, or starts
# within this many minutes, is skipped (the reason is kept on the message row).
REMINDER_SKIP_WITHIN_MINUTES = envint("REMINDER_SKIP_WITHIN_MINUTES", 30, minimum=0)
# Lifetimes of the other patient links (README, "Patient links"): the aftercare page from
# when it was sent, a practitioner's calendar feed from when the address was made.
AFTERCARE_LINK_DAYS = envint("AFTERCARE_LINK_DAYS", 30, minimum=1)
# A receipt emailed to the patient, from when it was sent (the PDF they keep is lasting).
RECEIPT_LINK_DAYS = envint("RECEIPT_LINK_DAYS", 30, minimum=1)
# An outcome-measure questionnaire's link (/q/<token>/), from when it is sent.
OUTCOME_LINK_DAYS = envint("OUTCOME_LINK_DAYS", 14, minimum=1)
CALENDAR_FEED_DAYS = envint("CALENDAR_FEED_DAYS", 365, minimum=1)
# The message-preferences link a reminder or check-in carries (intake.services
# .preferences_link), from when it was made.
MESSAGES_LINK_DAYS = envint("MESSAGES_LINK_DAYS", 60, minimum=1)
# A wait-list entry's own link (/w/<token>/): while the entry waits, and for this many
# days after its last date (clinic time).
WAITLIST_LINK_DAYS = envint("WAITLIST_LINK_DAYS", 1, minimum=0)
# A patient's self-service link to a visit (/v/<token>/) works until this many days
# after the visit's start (Cancel and Move only up to the cancel notice).
VISIT_LINK_DAYS = envint("VISIT_LINK_DAYS", 7, minimum=1)

# Phone numbers (intake): a number typed without +country code is read as one of this
# region (ISO 3166 code); numbers are stored as E.164 (+14035550101) and shown in the
# region's national format.
PHONE_DEFAULT_REGION = envstr("PHONE_DEFAULT_REGION", "CA").upper()
if PHONE_DEFAULT_REGION not in phonenumbers.SUPPORTED_REGIONS:
    raise ImproperlyConfigured(
        f"PHONE_DEFAULT_REGION={PHONE_DEFAULT_REGION!r} is not a region code (e.g. CA, US, GB)."
    )
PHONENUMBER_DEFAULT_REGION = PHONE_DEFAULT_REGION
PHONENUMBER_DB_FORMAT = "E164"
PHONENUMBER_DEFAULT_FORMAT = "E164"

# `make bench` serves a reference page (clinic/site/views.bench_floor) when BENCH=1.
BENCH = envbool("BENCH", False)
