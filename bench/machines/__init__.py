"""python -m bench.machines: the studio's workers on two machines (issue 15)."""
