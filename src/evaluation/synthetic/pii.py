"""Clearly fake but well-formed personal data, for exercising the pseudonymisation path (never added by default).

ID numbers follow GB 11643-1999: 6-digit area code, birth date, 3-digit sequence (odd = male) and the ISO 7064
MOD 11-2 check character. The area code 449900 does not exist (Guangdong has no prefecture 99), so no generated
number can belong to a real person; mobile numbers use the 1[3-9] prefixes of the mainland numbering plan.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["id_checksum", "fake_names", "fake_phones", "fake_id_numbers", "add_pii"]

_WEIGHTS = np.array([pow(2, 17 - i, 11) for i in range(17)])
_CHECK = "10X98765432"
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玲文建国志海燕红梅晨宇浩然欣怡子涵思琪俊凯"
_FAKE_AREA = "449900"


def id_checksum(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of the first 17 digits of a resident ID number."""
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError("need exactly 17 digits")
    s = int(np.dot(np.frombuffer(first17.encode(), dtype=np.uint8) - 48, _WEIGHTS))
    return _CHECK[s % 11]


def fake_names(rng: np.random.Generator, n: int) -> np.ndarray:
    sur = np.array(list(_SURNAMES))[rng.integers(0, len(_SURNAMES), n)]
    g1 = np.array(list(_GIVEN))[rng.integers(0, len(_GIVEN), n)]
    g2 = np.array(list(_GIVEN))[rng.integers(0, len(_GIVEN), n)]
    two = rng.random(n) < 0.6
    return np.where(two, np.char.add(np.char.add(sur, g1), g2), np.char.add(sur, g1)).astype(object)


def fake_phones(rng: np.random.Generator, n: int) -> np.ndarray:
    second = rng.integers(3, 10, n)
    rest = rng.integers(0, 10**9, n)
    return np.array([f"1{a}{b:09d}" for a, b in zip(second, rest)], dtype=object)


def fake_id_numbers(rng: np.random.Generator, birth_year: np.ndarray, male: np.ndarray) -> np.ndarray:
    """18-character ID numbers with valid check characters and the sex parity of GB 11643."""
    n = len(birth_year)
    doy = rng.integers(0, 365, n).astype("timedelta64[D]")
    birth = (np.asarray(birth_year) - 1970).astype("datetime64[Y]").astype("datetime64[D]") + doy
    ymd = np.char.replace(np.datetime_as_string(birth, unit="D"), "-", "")
    seq = rng.integers(0, 500, n) * 2 + np.where(male, 1, 0)
    out = []
    for d, s in zip(ymd, seq):
        first = f"{_FAKE_AREA}{d}{s:03d}"
        out.append(first + id_checksum(first))
    return np.array(out, dtype=object)


def add_pii(rng: np.random.Generator, table: pd.DataFrame, birth_year: np.ndarray, male: np.ndarray) -> pd.DataFrame:
    """The table with ``name``, ``phone`` and ``id_number`` columns of fake values appended."""
    n = len(table)
    out = table.copy()
    out["name"] = fake_names(rng, n)
    out["phone"] = fake_phones(rng, n)
    out["id_number"] = fake_id_numbers(rng, birth_year, male)
    return out
