# attempt: the thread id is read in the loop, then overwritten with 0 (every thread writes row 0)
# expect: wrong
# message: a data race?
@njit(parallel=True)
def run_length_histogram_par(mask, max_len=64):
    h, w = mask.shape
    local = np.zeros((numba.get_num_threads(), max_len + 1), np.int64)
    for y in prange(h):
        t = numba.get_thread_id()
        t = 0
        run = 0
        for x in range(w):
            if mask[y, x]:
                run += 1
            elif run:
                local[t, min(run, max_len)] += 1
                run = 0
        if run:
            local[t, min(run, max_len)] += 1
    return local.sum(axis=0)
