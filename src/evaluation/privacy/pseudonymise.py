"""Salted pseudonymous person keys (PIPL art. 73: personal information that cannot identify a person without
additional information kept apart).

On loading, the personal columns of a table (names, phone numbers, ID numbers, e-mail addresses) are replaced by one
``person_key``: the first 16 hex digits (64 bits) of HMAC-SHA256(salt, normalised identifier). The identifier of a
row is its ID number if it has one, else its phone number, else its name, else its e-mail address. HMAC with a
secret salt, unlike a plain hash, cannot be reversed by hashing every phone number of the 1[3-9] plan (1.4 × 10^10
of them take minutes on a laptop). The salt stays outside the repository and never enters an output: the report of
:func:`pseudonymise` holds counts and column names only.

The same salt gives the same key for the same person across tables and years, so volunteers can be joined to their
service hours. Keys are not comparable between districts or installations with different salts, by design.

References
----------
RFC 2104 (HMAC); FIPS 180-4 (SHA-256). 中华人民共和国个人信息保护法 (PIPL) arts. 51, 73.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import stat
import unicodedata
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .detect import detect_personal_columns, header_kind, value_strings

__all__ = [
    "IDENTIFIER_PRIORITY",
    "PseudonymisationReport",
    "load_salt",
    "normalise_identifier",
    "hmac_key",
    "pseudonymise",
]

IDENTIFIER_PRIORITY: tuple[str, ...] = ("id_number", "phone", "name", "email", "other")
KEY_COLUMN = "person_key"
_SALT_ENV = "JINLIN_SALT"
_SALT_FILE_ENV = "JINLIN_SALT_FILE"


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True


def load_salt(*, environ: Mapping[str, str] | None = None, home: Path | None = None,
              repo_root: Path | None = None) -> bytes:
    """The secret salt for person keys.

    Looked up in this order: the environment variable ``JINLIN_SALT`` (its UTF-8 bytes); the file named by
    ``JINLIN_SALT_FILE``; ``~/.config/jinlin/salt``, which is created on first use from ``os.urandom(32)`` (written as
    64 hex digits, mode 0600, folder 0700). A salt file's content is used with surrounding whitespace removed, so
    ``JINLIN_SALT=<the file's text>`` gives the same keys.

    A salt file inside the repository is refused: it would end up committed next to the data it protects.

    Parameters
    ----------
    environ, home, repo_root
        Overrides of ``os.environ``, the home folder and the repository (for tests). The repository is by default
        the checkout the package runs from; an installed package has none, and then no folder is refused (the
        working folder is not a repository of this code: it may well be the home folder itself).

    Returns
    -------
    bytes
        The salt. Never log or write it.

    Raises
    ------
    ValueError
        If the salt is empty or the salt file lies inside the repository.
    """
    env = os.environ if environ is None else environ
    if repo_root is None:
        from evaluation.config import CHECKOUT
        repo_root = CHECKOUT
    if env.get(_SALT_ENV):
        return env[_SALT_ENV].encode("utf-8")
    if env.get(_SALT_FILE_ENV):
        path = Path(env[_SALT_FILE_ENV]).expanduser()
        create = False
    else:
        path = (home if home is not None else Path.home()) / ".config" / "jinlin" / "salt"
        create = not path.exists()
    if repo_root is not None and _inside(path, repo_root):
        raise ValueError(f"the salt file {path} lies inside the repository {repo_root}; keep it outside "
                         f"(e.g. ~/.config/jinlin/salt) so it is never committed")
    if create:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it first: use theirs
            pass
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(os.urandom(32).hex() + "\n")
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        warnings.warn(f"the salt file {path} is readable by other users (mode {mode:o}); chmod 600 it",
                      stacklevel=2)
    salt = path.read_bytes().strip()
    if not salt:
        raise ValueError(f"the salt file {path} is empty")
    return salt


def normalise_identifier(value: object, kind: str) -> str | None:
    """Canonical form of an identifier before hashing.

    NFKC (full-width digits become ASCII), upper case (``x`` → ``X`` in ID numbers, Latin names case-blind),
    whitespace and dashes removed; for phone numbers also brackets, dots and a leading ``+86``/``86`` country code.
    Integer-valued floats lose their ``.0`` (spreadsheets turn phone numbers into floats). Empty → None.

    Examples
    --------
    >>> normalise_identifier("+86 138-1234-5678", "phone")
    '13812345678'
    >>> normalise_identifier("138.1234.5678", "phone")
    '13812345678'
    >>> normalise_identifier(" 11010519491231002x ", "id_number")
    '11010519491231002X'
    """
    if isinstance(value, str) and value.isascii() and value.isalnum():
        # Plain ASCII digits and letters, as most exported numbers are: NFKC, stripping and the removal of spaces,
        # dashes, brackets, dots and "+" leave them as they are.
        v = value.upper()
        return v[2:] if kind == "phone" and len(v) == 13 and v.startswith("86") and v.isdigit() else v
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    v = unicodedata.normalize("NFKC", str(value)).strip().upper()
    v = "".join(ch for ch in v if not ch.isspace() and ch not in "-‐‑–—")
    if kind == "phone":
        # 138.1234.5678 and (0752)1234567 are the same numbers as 13812345678 and 07521234567
        v = v.replace("(", "").replace(")", "").replace(".", "")
        if v.startswith("+"):
            v = v[1:]
        if len(v) == 13 and v.startswith("86") and v.isdigit():
            v = v[2:]
    return v or None


def hmac_key(identifier: str, salt: bytes) -> str:
    """First 16 hex digits of HMAC-SHA256(``salt``, ``identifier`` as UTF-8). No normalisation is applied."""
    if not salt:
        raise ValueError("an empty salt gives reversible keys")
    return hmac.new(salt, identifier.encode("utf-8"), hashlib.sha256).hexdigest()[:16]


@dataclass(frozen=True)
class PseudonymisationReport:
    """What :func:`pseudonymise` did. Holds no personal value and no salt.

    Attributes
    ----------
    dropped_columns : tuple of str
        Personal columns removed from the table.
    column_kinds : tuple of (column, kind)
        The kind each dropped column was treated as.
    key_source : str
        ``"existing"`` (the table already had ``person_key``, which was kept), ``"derived"`` or ``"none"`` (no
        personal column and no key).
    n_rows, n_keyed, n_distinct_keys : int
        Rows; rows with a key; distinct keys.
    keyed_by : tuple of (kind, n)
        How many rows were keyed by each kind of identifier (empty unless derived).
    """

    dropped_columns: tuple[str, ...]
    column_kinds: tuple[tuple[str, str], ...]
    key_source: str
    n_rows: int
    n_keyed: int
    n_distinct_keys: int
    keyed_by: tuple[tuple[str, int], ...] = ()

    @property
    def n_without_key(self) -> int:
        return self.n_rows - self.n_keyed


def _column_kinds(df: pd.DataFrame, columns: Sequence[str] | None) -> dict[str, str]:
    if columns is None:
        detected = detect_personal_columns(df)
        return dict(zip(detected["column"], detected["kind"]))
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise KeyError(f"no such columns: {missing}")
    # Each column is judged on its own values: the named ones only, not every column of the table.
    detected = detect_personal_columns(df[list(dict.fromkeys(columns))])
    found = dict(zip(detected["column"], detected["kind"]))
    return {c: found.get(c) or header_kind(c) or "other" for c in columns}


def pseudonymise(df: pd.DataFrame, salt: bytes, columns: Sequence[str] | None = None,
                 ) -> tuple[pd.DataFrame, PseudonymisationReport]:
    """Replace the personal columns of a table by a salted ``person_key``.

    Parameters
    ----------
    df : DataFrame
        A table as loaded.
    salt : bytes
        Secret salt, normally :func:`load_salt`.
    columns : sequence of str, optional
        Personal columns. Default: those found by :func:`~evaluation.privacy.detect.detect_personal_columns`.

    Returns
    -------
    DataFrame
        ``df`` without the personal columns. Unless ``df`` already had a ``person_key`` (which is kept unchanged),
        a string column ``person_key`` takes the place of the first personal column; it is missing for rows
        without any identifier.
    PseudonymisationReport

    Notes
    -----
    The key of a row is ``hmac_key(normalise_identifier(v, kind), salt)`` for the first non-empty identifier in
    the order ID number, phone, name, e-mail, other (and, within a kind, column order). Names are poor identifiers
    (homonyms share a key), which is why they come after the numbers.

    Examples
    --------
    >>> df = pd.DataFrame({"姓名": ["张三", "李四"], "手机号": ["13812345678", None], "hours": [2.0, 3.5]})
    >>> out, rep = pseudonymise(df, b"secret")
    >>> list(out.columns), rep.dropped_columns, dict(rep.keyed_by)
    (['person_key', 'hours'], ('姓名', '手机号'), {'phone': 1, 'name': 1})
    """
    kinds = _column_kinds(df, columns)
    personal = [c for c in df.columns if c in kinds]
    n = len(df)
    if KEY_COLUMN in df.columns:
        out = df.drop(columns=personal)
        keys = out[KEY_COLUMN]
        report = PseudonymisationReport(tuple(map(str, personal)), tuple((str(c), kinds[c]) for c in personal),
                                        "existing", n, int(keys.notna().sum()), int(keys.nunique()))
        return out, report
    if not personal:
        return df.copy(), PseudonymisationReport((), (), "none", n, 0, 0)

    key = pd.Series(pd.NA, index=df.index, dtype="str")
    source = pd.Series(pd.NA, index=df.index, dtype="str")
    ordered = sorted(personal, key=lambda c: IDENTIFIER_PRIORITY.index(kinds[c]))
    for col in ordered:
        todo = key.isna()
        if not todo.any():
            break
        values = value_strings(df.loc[todo, col])
        ids = values.map(lambda v, k=kinds[col]: normalise_identifier(v, k)).dropna()
        ids = ids[ids.astype(bool)]
        key.loc[ids.index] = ids.map(lambda v: hmac_key(v, salt)).astype("str")
        source.loc[ids.index] = kinds[col]

    pos = list(df.columns).index(personal[0])
    out = df.drop(columns=personal)
    out.insert(min(pos, out.shape[1]), KEY_COLUMN, key)
    counts = source.value_counts()
    keyed_by = tuple((k, int(counts[k])) for k in IDENTIFIER_PRIORITY if k in counts.index)
    report = PseudonymisationReport(tuple(map(str, personal)), tuple((str(c), kinds[c]) for c in personal),
                                    "derived", n, int(key.notna().sum()), int(key.nunique()), keyed_by)
    return out, report
