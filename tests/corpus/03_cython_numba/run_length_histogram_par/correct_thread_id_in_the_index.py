# attempt: one private histogram per thread, numba.get_thread_id() called right in the index
# expect: correct
@njit(parallel=True)
def run_length_histogram_par(mask, max_len=64):
    h, w = mask.shape
    local = np.zeros((numba.get_num_threads(), max_len + 1), np.int64)
    for y in prange(h):
        run = 0
        for x in range(w):
            if mask[y, x]:
                run += 1
            elif run:
                local[numba.get_thread_id(), min(run, max_len)] += 1
                run = 0
        if run:
            local[numba.get_thread_id(), min(run, max_len)] += 1
    return local.sum(axis=0)
