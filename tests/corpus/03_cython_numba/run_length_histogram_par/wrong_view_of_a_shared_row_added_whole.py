# attempt: each row counted into a local histogram, then added whole into one row of a shared table
# expect: wrong
# message: a data race?
@njit(parallel=True)
def run_length_histogram_par(mask, max_len=64):
    h, w = mask.shape
    per = np.zeros((2, max_len + 1), np.int64)
    for y in prange(h):
        local = np.zeros(max_len + 1, np.int64)
        run = 0
        for x in range(w):
            if mask[y, x]:
                run += 1
            elif run:
                local[min(run, max_len)] += 1
                run = 0
        if run:
            local[min(run, max_len)] += 1
        row = per[0]
        row += local
    return per[0]
