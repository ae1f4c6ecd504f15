"""gunicorn's options, all of them here (docker-compose.yml and the Dockerfile run
`gunicorn -c gunicorn.conf.py studio.wsgi:application`). Each reads the environment, so one
image fits a small and a large machine. tests/test_gunicorn_conf.py loads it as gunicorn does."""

import os

# The address nginx (deploy/nginx.conf) proxies to; PORT is what platforms that pick the
# port for a process set, and the settings read the same variable.
bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"

# Processes: one per core and one more, capped at 12 so that a large machine does not open
# more PostgreSQL connections than the database allows (each process holds one per thread).
# Not gunicorn's rule of thumb (2 x cores + 1), which is for an app that mostly waits: a poll
# of the studio mostly computes (its database and Redis answer in a millisecond), and five
# processes on 2 cores spent a fifth to a third more CPU a poll than three, whose p95 at 200
# polls a second was 57 ms against 390 (BENCHMARKS.md, "200 people live"). The threads cover
# the waits. WEB_CONCURRENCY sets it outright.
workers = int(os.environ.get("WEB_CONCURRENCY", min((os.cpu_count() or 1) + 1, 12)))

# Threads: a page waiting on the database or on a slow client does not hold a whole process,
# and the gthread worker's heartbeat keeps running while a request is slow. The storyboard's
# live polling is many short requests: threads are cheaper than processes for them.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))

# The largest upload is a music bed (playlists.models.MUSIC_MAX_BYTES, 30 MB; logos and the
# CSV import are 1 MB). nginx buffers a request body before passing it on, but a process
# reached directly (make run's proxy-less trial, a platform without nginx) reads it itself:
# 30 MB at 2 Mbit/s is 120 s, then the file is checked (ffmpeg). So 150 s, not the default 30
# which killed such an upload and any long download served by Django.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "150"))

# On a deploy (SIGTERM) requests in flight get this long to finish: a poll or a page, not an
# upload, whose client retries.
graceful_timeout = 30

# nginx keeps connections to the upstream short; a few seconds saves a handshake for the
# next poll of the same browser without holding threads idle.
keepalive = 5

# Whose X-Forwarded-* headers to believe (scheme and client address): only the proxy's.
# In compose nginx is another container, so its address is not 127.0.0.1; set the network's
# range or "*" when only the proxy can reach this port.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# Logs to stdout/stderr, where docker collects them; one access line per request.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
