# One image for web, worker and beat (docker-compose.yml says which runs what).
FROM python:3.13-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    STUDIO_VAR_DIR=/app/var

WORKDIR /app

# Only the runtime dependencies from pyproject.toml, each at the version requirements.lock pins
# (the lock also pins the test and lint tools, which the image does not need).
COPY pyproject.toml requirements.lock ./
RUN python -c "import tomllib; print(*tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies'], sep='\n')" > /tmp/runtime.txt \
    && pip install -r /tmp/runtime.txt -c requirements.lock \
    && rm /tmp/runtime.txt

# Named paths rather than `COPY . .`: the build context may hold .venv, var/ and .git.
COPY manage.py gunicorn.conf.py ./
COPY studio ./studio
COPY templates ./templates
COPY static ./static

# With DEBUG off the settings refuse to load without a SECRET_KEY; this one lives only in this step.
RUN SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput

RUN useradd --create-home --uid 1000 studio \
    && mkdir -p /app/var/media \
    && chown -R studio:studio /app/var
USER studio

EXPOSE 8000
CMD ["gunicorn", "-c", "gunicorn.conf.py", "studio.wsgi:application"]
