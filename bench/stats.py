"""Percentiles and the printed table."""

import math


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (0-100), nearest rank; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def fmt(value: float | None, digits: int = 1, unit: str = "") -> str:
    if value is None:
        return "-"
    return f"{value:.{digits}f}{unit}"


def ratio(value: float | None, baseline: float | None) -> str:
    if not value or not baseline:
        return "-"
    return (
        f"{baseline / value:.1f}x fewer" if baseline >= value else f"{value / baseline:.1f}x more"
    )


def table(title: str, header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    line = "  ".join("-" * width for width in widths)

    def render(row: list[str]) -> str:
        return "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True))

    return "\n".join([f"\n== {title}", render(header), line, *map(render, rows)])
