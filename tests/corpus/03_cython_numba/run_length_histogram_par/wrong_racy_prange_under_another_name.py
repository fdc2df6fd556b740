# attempt: one shared histogram, with prange imported under another name (from numba import prange as pr)
# expect: wrong
# message: a data race?
from numba import prange as pr


@njit(parallel=True)
def run_length_histogram_par(mask, max_len=64):
    h, w = mask.shape
    hist = np.zeros(max_len + 1, np.int64)
    for y in pr(h):
        run = 0
        for x in range(w):
            if mask[y, x]:
                run += 1
            elif run:
                hist[min(run, max_len)] += 1
                run = 0
        if run:
            hist[min(run, max_len)] += 1
    return hist
