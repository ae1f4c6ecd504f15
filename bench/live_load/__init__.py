"""200 members live on one storyboard, on the production stack: `python -m bench.live_load`.

A throwaway PostgreSQL database holds the storyboard bench's world (bench/storyboard/world.py):
one team of 200 members (every fifth an editor), a storyboard of 300 shots with 3 completed
takes each, a session per member. gunicorn serves the studio as production does (gunicorn.conf.py:
workers and threads for this machine, DEBUG off), with the studio's cache on a redis-server of
the bench's own. Locust (bench/live_load/locustfile.py, in a process of its own) then drives
the real endpoints: every member polls the live view every 3 s with the token of their
previous answer, as the page does, while an editor opens a shot's edit form and saves it every
~1.5 s (POST with CSRF). The same members then poll 2, 3, 4 and 6 times as often, then
back-to-back, to find the requests per second served with the p95 still acceptable.

Locust shares the machine's cores with the server: each step also reports the CPU time that
gunicorn, PostgreSQL's backends for the bench's database and Redis spent per request (from
/proc), which bounds what the cores could serve with Locust elsewhere. The exit status is
non-zero only when something broke (a failed request, a poll without a token, a save refused).
"""
