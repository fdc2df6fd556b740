%%cython_annotate
# attempt: a general strided memoryview and a C int counter per row
# expect: correct
cimport cython
import numpy as np

@cython.boundscheck(False)
@cython.wraparound(False)
def runs_per_row_cy(mask):
    cdef const unsigned char[:, :] m = mask
    cdef Py_ssize_t y, x
    cdef int n
    counts = np.empty(m.shape[0], np.int32)
    cdef int[:] c = counts
    for y in range(m.shape[0]):
        n = 1 if m.shape[1] and m[y, 0] else 0
        for x in range(1, m.shape[1]):
            if m[y, x] and not m[y, x - 1]:
                n += 1
        c[y] = n
    return counts
