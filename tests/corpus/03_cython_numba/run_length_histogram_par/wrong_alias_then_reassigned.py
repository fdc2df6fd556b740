# attempt: the prange variable renamed, then the name reused for a shared row (every thread writes row 0)
# expect: wrong
# message: a data race?
@njit(parallel=True)
def run_length_histogram_par(mask, max_len=64):
    h, w = mask.shape
    per_row = np.zeros((h, max_len + 1), np.int64)
    for i in prange(h):
        y = i
        runs = mask[y]
        y = 0
        run = 0
        for x in range(w):
            if runs[x]:
                run += 1
            elif run:
                per_row[y, min(run, max_len)] += 1
                run = 0
        if run:
            per_row[y, min(run, max_len)] += 1
    return per_row.sum(axis=0)
