# attempt: per-thread histograms indexed by t * 0 (mentions the thread id, yet every thread writes row 0)
# expect: wrong
# message: a data race?
@njit(parallel=True)
def run_length_histogram_par(mask, max_len=64):
    h, w = mask.shape
    local = np.zeros((numba.get_num_threads(), max_len + 1), np.int64)
    for y in prange(h):
        t = numba.get_thread_id()
        run = 0
        for x in range(w):
            if mask[y, x]:
                run += 1
            elif run:
                local[t * 0, min(run, max_len)] += 1
                run = 0
        if run:
            local[t * 0, min(run, max_len)] += 1
    return local.sum(axis=0)
