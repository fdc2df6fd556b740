%%cython_annotate
# attempt: a NumPy one-liner typed into the Cython cell: compiled by Cython, but no typed loop
# expect: rule
# message: no `for` or `while` loop
cimport cython
import numpy as np

@cython.boundscheck(False)
@cython.wraparound(False)
def runs_per_row_cy(mask):
    m = np.asarray(mask, bool)
    starts = m.copy()
    starts[:, 1:] &= ~m[:, :-1]
    return np.count_nonzero(starts, axis=1).astype(np.int32)
