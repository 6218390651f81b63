# Production image. The same image runs gunicorn (default CMD), the Celery worker,
# Celery beat and the one-shot migration; docker-compose.yml wires them together.
FROM python:3.11-slim

# The app runs from /app, where templates/ and static/ sit beside the packages
# (settings find them relative to clinic/). PYTHONPATH keeps /app ahead of the
# copy that `pip install .` also places in site-packages.
# WEB_CONCURRENCY is read by gunicorn itself as its worker count.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    VAR_DIR=/var/lib/clinic \
    WEB_CONCURRENCY=3

RUN useradd --create-home --uid 10001 --user-group clinic

WORKDIR /app

# Only what the app needs: no .venv, var/ (development database, secret key, mail)
# or .git from the build context.
COPY pyproject.toml README.md manage.py ./
COPY clinic/ clinic/
COPY intake/ intake/
COPY sessions/ sessions/
COPY templates/ templates/
COPY static/ static/

# Runtime dependencies only (no dev extra).
RUN pip install . && rm -rf build *.egg-info

# Static files are collected into the image and served by whitenoise. DEBUG is off
# here, so settings insist on a SECRET_KEY: a dummy that exists only for this step.
# The throwaway VAR_DIR keeps the build's scratch directories out of the image.
RUN SECRET_KEY=build-only VAR_DIR=/tmp/build-var python manage.py collectstatic --noinput \
    && rm -rf /tmp/build-var

# Writable state (beat schedule, mail files when no SMTP host is set, documents on the
# local disk). A named volume mounted here starts with this directory's owner, so the
# app user can write; documents/ is made too, for the volume docker-compose.yml mounts
# there.
RUN install -d -o clinic -g clinic -m 0750 /var/lib/clinic /var/lib/clinic/documents

USER clinic
EXPOSE 8000

# No HEALTHCHECK here: worker and beat run from this image too and serve no HTTP.
# docker-compose.yml gives each service its own check.
# The access log leaves out query strings (a patient search puts names in them), and
# the logger class takes patient-link and password-reset tokens out of paths.
CMD ["gunicorn", "clinic.wsgi", "--bind", "0.0.0.0:8000", "--access-logfile", "-", "--logger-class", "clinic.logs.GunicornLogger", "--access-logformat", "%(h)s %(t)s \"%(m)s %(U)s %(H)s\" %(s)s %(B)s %(M)sms", "--worker-tmp-dir", "/dev/shm"]
