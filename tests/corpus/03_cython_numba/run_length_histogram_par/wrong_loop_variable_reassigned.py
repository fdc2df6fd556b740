# attempt: per-row histograms, but the loop variable is set to 0 before the last run is counted (every thread writes row 0)
# expect: wrong
# message: a data race?
@njit(parallel=True)
def run_length_histogram_par(mask, max_len=64):
    h, w = mask.shape
    per_row = np.zeros((h, max_len + 1), np.int64)
    for y in prange(h):
        run = 0
        for x in range(w):
            if mask[y, x]:
                run += 1
            elif run:
                per_row[y, min(run, max_len)] += 1
                run = 0
        y = 0
        if run:
            per_row[y, min(run, max_len)] += 1
    return per_row.sum(axis=0)
