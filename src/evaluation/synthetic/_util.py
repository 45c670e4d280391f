"""Small shared helpers of the generator: timestamps, hex keys, exact-total selection."""

from __future__ import annotations

import numpy as np

__all__ = ["fmt_datetime", "fmt_date", "hex_keys", "year_start", "random_datetimes", "prefix_hitting"]


def year_start(year: int | np.ndarray) -> np.ndarray:
    return (np.asarray(year) - 1970).astype("datetime64[Y]").astype("datetime64[s]")


def fmt_datetime(ts: np.ndarray) -> np.ndarray:
    """datetime64[s] -> 'YYYY-MM-DD HH:MM:SS' (NaT -> None)."""
    ts = np.asarray(ts, dtype="datetime64[s]")
    out = np.char.replace(np.datetime_as_string(ts, unit="s"), "T", " ").astype(object)
    out[np.isnat(ts)] = None
    return out


def fmt_date(ts: np.ndarray) -> np.ndarray:
    """datetime64 -> 'YYYY-MM-DD' (NaT -> None)."""
    ts = np.asarray(ts).astype("datetime64[D]")
    out = np.datetime_as_string(ts, unit="D").astype(object)
    out[np.isnat(ts)] = None
    return out


def random_datetimes(rng: np.random.Generator, years: np.ndarray, season: float = 0.0,
                     peak_day: int = 200) -> np.ndarray:
    """Timestamps within each given year: day of year with an optional cosine seasonality, office-hours-heavy clock."""
    years = np.asarray(years)
    n = len(years)
    days = np.arange(365)
    p_day = 1 + season * np.cos(2 * np.pi * (days - peak_day) / 365)
    day = rng.choice(365, size=n, p=p_day / p_day.sum())
    hour_w = np.array([1, 1, 1, 1, 1, 2, 4, 8, 12, 14, 14, 12, 9, 10, 13, 13, 12, 10, 8, 7, 6, 4, 3, 2], float)
    hour = rng.choice(24, size=n, p=hour_w / hour_w.sum())
    secs = day * 86400 + hour * 3600 + rng.integers(0, 3600, n)
    return year_start(years) + secs.astype("timedelta64[s]")


def hex_keys(rng: np.random.Generator, n: int, prefix: str, digits: int = 10) -> np.ndarray:
    """Distinct random keys like 'P3fa9c2e1b0' (collisions are redrawn, so the keys are unique)."""
    keys: list[str] = []
    seen: set[str] = set()
    while len(keys) < n:
        draw = rng.integers(0, 16 ** digits, n - len(keys), dtype=np.int64)
        for v in draw:
            k = f"{prefix}{int(v):0{digits}x}"
            if k not in seen:
                seen.add(k)
                keys.append(k)
    return np.array(keys, dtype=object)


def prefix_hitting(counts: np.ndarray, target: int) -> int:
    """Length of the shortest prefix whose running sum of 0/1 ``counts`` equals ``target``.

    Pools of candidate records are drawn a little larger than needed and put in random order; keeping the prefix that
    hits the target is a uniform thinning, so the relative rates (and planted rate ratios) are untouched.
    """
    cum = np.cumsum(counts)
    if target == 0:
        return 0
    hit = np.flatnonzero(cum == target)
    if len(hit) == 0:
        raise ValueError(f"pool too small: reaches {int(cum[-1]) if len(cum) else 0} of {target}")
    return int(hit[0]) + 1
