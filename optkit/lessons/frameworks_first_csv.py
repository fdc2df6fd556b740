"""Lesson 06's CSV part (the annex of ``optkit.lessons.frameworks_first``): the same huge CSV
file parsed by the csv module, np.loadtxt, pandas and pyarrow.csv, and a check that they agree.

    parse_csv_module / parse_loadtxt / parse_pandas / parse_pyarrow, assert_same_parsed
"""
from __future__ import annotations

import os

import numpy as np

__all__ = ["CSV_NUMERIC", "parse_csv_module", "parse_loadtxt", "parse_pandas", "parse_pyarrow", "assert_same_parsed", "INT_COLS", "check_path",
           "finish_columns", "check_yours"]


# --------------------------------------------------------------------------- CSV parsing
#: numeric columns of optkit.data.make_csv, and their dtypes once parsed
CSV_NUMERIC = ["doc_id", "box_id", "x0", "y0", "x1", "y1", "x2", "y2", "x3", "y3", "score"]
INT_COLS = ("doc_id", "box_id")


def check_path(path):
    p = os.fspath(path)
    if not os.path.isfile(p):
        raise FileNotFoundError(f"no CSV file at {p}")
    return p


def finish_columns(cols: dict) -> dict:
    """Numeric columns as NumPy arrays (int64 / float64). The text column stays in the
    library's own form (a pandas string array, an Arrow array): converting a million
    strings into Python objects is a cost of its own, paid only when the values are compared."""
    out = {}
    for name in CSV_NUMERIC:
        a = np.asarray(cols[name])
        out[name] = a.astype(np.int64, copy=False) if name in INT_COLS else a.astype(np.float64, copy=False)
    if "text" in cols:
        t = cols["text"]
        out["text"] = np.array(t, dtype=object) if isinstance(t, list) else t
    return out


def _values(col) -> np.ndarray:
    """Any column form (NumPy, pandas array, Arrow array) as a NumPy array."""
    if isinstance(col, np.ndarray):
        return col
    if hasattr(col, "to_numpy"):
        try:
            return np.asarray(col.to_numpy(zero_copy_only=False))     # Arrow
        except TypeError:
            return np.asarray(col.to_numpy())                          # pandas
    return np.asarray(col)


def parse_csv_module(path) -> dict:
    """Hand-written: the csv module, one Python row at a time, converted to numbers, then
    packed into arrays. Returns {column: ndarray} (ints int64, floats float64, text object)."""
    import csv

    p = check_path(path)
    with open(p, newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        if header[:len(CSV_NUMERIC)] != CSV_NUMERIC:
            raise ValueError(f"unexpected header {header}")
        cols = {name: [] for name in header}
        appends = [cols[name].append for name in header]
        convs = [int if name in INT_COLS else float if name != "text" else str for name in header]
        for row in reader:
            for app, conv, v in zip(appends, convs, row):
                app(conv(v))
    return finish_columns(cols)


def parse_loadtxt(path) -> dict:
    """numpy.loadtxt on the numeric columns (it cannot hold the text column in a float array)."""
    p = check_path(path)
    a = np.loadtxt(p, delimiter=",", skiprows=1, usecols=range(len(CSV_NUMERIC)), dtype=np.float64)
    a = np.atleast_2d(a)
    return finish_columns({name: a[:, j] for j, name in enumerate(CSV_NUMERIC)})


def parse_pandas(path) -> dict:
    """pandas.read_csv with its C parser."""
    import pandas as pd

    p = check_path(path)
    # na_filter=False: a word such as "nan" or "null" stays text (pandas would make it NaN)
    df = pd.read_csv(p, engine="c", na_filter=False)
    cols = {name: df[name].to_numpy() for name in CSV_NUMERIC}
    cols["text"] = df["text"].array
    return finish_columns(cols)


def parse_pyarrow(path, use_threads: bool = True, text: bool = True) -> dict:
    """pyarrow.csv.read_csv (multi-threaded C++ parser); numeric columns to NumPy, the text
    column stays an Arrow string array. The reader returns every column in chunks (one per block
    parsed), so ``to_numpy()`` concatenates them into a new array: one copy. (A zero-copy view
    exists only for a single chunk of a primitive type without nulls.)"""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    p = check_path(path)
    table = pacsv.read_csv(p, read_options=pacsv.ReadOptions(use_threads=use_threads),
                           convert_options=pacsv.ConvertOptions(
                               column_types={n: pa.int64() if n in INT_COLS else pa.float64()
                                             for n in CSV_NUMERIC}))
    cols = {name: table.column(name).to_numpy() for name in CSV_NUMERIC}
    if text:
        cols["text"] = table.column("text")
    return finish_columns(cols)


def assert_same_parsed(ref: dict, other: dict, columns=None) -> int:
    """Raise AssertionError unless every shared column is exactly equal (numbers and text,
    whatever form the text column has); returns the number of values compared."""
    columns = columns or [c for c in ref if c in other]
    if not columns:
        raise AssertionError("no column in common")
    n = 0
    for c in columns:
        a, b = _values(ref[c]), _values(other[c])
        if c == "text":
            a, b = a.astype(object), b.astype(object)
        if a.shape != b.shape:
            if a.ndim == b.ndim == 1:
                raise AssertionError(f"column {c!r} has {len(b):,} rows, expected {len(a):,}")
            raise AssertionError(f"column {c!r}: shape {b.shape} != {a.shape}")
        if not np.array_equal(a, b):
            bad = int(np.flatnonzero(a != b)[0])
            raise AssertionError(f"column {c!r} differs first at row {bad}: {b[bad]!r} != {a[bad]!r}")
        n += a.size
    return n


def check_yours(name: str, expected: dict, got) -> int:
    """For a notebook cell that times the learner's copy of a parser: raise ValueError, with a
    message that names the function and the first difference, unless ``got`` (what the
    learner's ``name`` returned) has every column of ``expected`` (a course parser's result on
    the same file) with equal values. Returns the number of values compared."""
    from optkit.i18n import tr

    if not isinstance(got, dict):
        detail = tr("it returned a {kind}, not a dict of columns", kind=type(got).__name__)
    else:
        missing = [c for c in expected if c not in got]
        detail = tr("column {col!r} is missing", col=missing[0]) if missing else None
        if detail is None:
            try:
                return assert_same_parsed(expected, got, columns=list(expected))
            except AssertionError as exc:
                detail = str(exc)
    raise ValueError(tr("your {name} differs from the course's parsers on the same file: {detail}. "
                        "Fix it before its time counts (its time is not shown).",
                        name=name, detail=detail))
