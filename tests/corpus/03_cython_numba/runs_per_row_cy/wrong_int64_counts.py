%%cython_annotate
# attempt: returns int64 counts (the task asks for int32)
# expect: wrong
cimport cython
import numpy as np

@cython.boundscheck(False)
@cython.wraparound(False)
def runs_per_row_cy(mask):
    cdef const unsigned char[:, ::1] m = mask
    cdef Py_ssize_t h = m.shape[0], w = m.shape[1], y, x
    cdef long long n
    cdef unsigned char prev, v
    counts = np.zeros(h, np.int64)
    cdef long long[::1] c = counts
    for y in range(h):
        n = 0
        prev = 0
        for x in range(w):
            v = m[y, x]
            if v and not prev:
                n += 1
            prev = v
        c[y] = n
    return counts
