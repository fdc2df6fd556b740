# attempt: a serial @njit kernel written afresh (no parallel=True, no prange): fast, but not parallel
# expect: wrong
# message: not a parallel Numba function
@njit
def run_length_histogram_par(mask, max_len=64):
    h, w = mask.shape
    counts = np.zeros(max_len + 1, np.int64)
    for y in range(h):
        run = 0
        for x in range(w):
            if mask[y, x] != 0:
                run += 1
            else:
                if run > 0:
                    counts[run if run < max_len else max_len] += 1
                run = 0
        if run > 0:
            counts[run if run < max_len else max_len] += 1
    return counts
