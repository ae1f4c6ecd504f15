"""`make bench`: the studio's polling against the gateway simulator, measured (see BENCHMARKS.md).

Run `python -m bench --help`. Every part starts its own services, uses a database and Redis
databases of its own, is bounded in time, and stops everything it started.
"""
