%%cython_annotate
# attempt: counts 1 -> 0 transitions: misses a run that touches the end of the row
# expect: wrong
cimport cython
import numpy as np

@cython.boundscheck(False)
@cython.wraparound(False)
def runs_per_row_cy(mask):
    cdef const unsigned char[:, ::1] m = mask
    cdef Py_ssize_t h = m.shape[0], w = m.shape[1], y, x
    cdef int n
    counts = np.zeros(h, np.int32)
    cdef int[::1] c = counts
    for y in range(h):
        n = 0
        for x in range(1, w):
            if m[y, x - 1] and not m[y, x]:
                n += 1
        c[y] = n
    return counts
