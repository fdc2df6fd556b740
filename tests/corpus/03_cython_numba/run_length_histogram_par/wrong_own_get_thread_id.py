# attempt: a helper named get_thread_id that is not numba's (it always returns 0: one shared row)
# expect: wrong
# message: a data race?
@njit
def get_thread_id():
    return 0


@njit(parallel=True)
def run_length_histogram_par(mask, max_len=64):
    h, w = mask.shape
    local = np.zeros((1, max_len + 1), np.int64)
    for y in prange(h):
        t = get_thread_id()
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
