"""The storyboard page and its live updates under load: `python -m bench.storyboard`.

A throwaway database holds one team of 50 members (every fifth an editor, the rest viewers), a
project and a storyboard of 300 shots with 3 completed takes each, an hour old. The studio is
served over real HTTP in this process (Django's threaded WSGI server, the middleware and session
login as in production, DEBUG off) together with a minimal view that only returns "ok", and
each load shape is run against both, so the ratio says what the studio's own work costs:

- one after another: one member loads the storyboard page N times as it opens (the board), as
  a viewer, then as an editor, then as an editor with a shot saved before each load (the board
  drawn afresh, not from the cache), and then the list of cards (`?view=list`); gzip accepted,
  and sizes reported both on the wire and uncompressed;
- paced: every member polls the live endpoint as the page does, every 3 s with the token of
  the previous answer (`?since=`), the pages opened at moments spread over the first interval;
- back-to-back: the same polls, each sent as soon as the previous answer is in, so that all 50
  are in flight at once: what one process can serve, far above the 50 / 3 s that pages ask.

The live rounds run twice: with nothing changing, and with an editor saving a shot every few
answers. Each response carries the number of SQL statements its request ran (X-Bench-Queries,
counted on the serving thread's connection). Timings are judged by a person: the exit status
is non-zero only when something broke (an answer other than 200, a page missing cards).
"""
