%%cython_annotate
# attempt: the reference loop pasted without types: compiled, still Python objects
# expect: rule
# message: no C types
cimport cython
import numpy as np

@cython.boundscheck(False)
@cython.wraparound(False)
def runs_per_row_cy(mask):
    h, w = mask.shape
    counts = np.zeros(h, np.int32)
    for y in range(h):
        n = 0
        prev = 0
        for x in range(w):
            v = mask[y, x]
            if v and not prev:
                n += 1
            prev = v
        counts[y] = n
    return counts
