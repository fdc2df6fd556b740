# attempt: per-row histograms sized by the row width, long runs never capped (cut to max_len + 1 bins at the end)
# expect: wrong
# message: max_len or more pixels long
@njit(parallel=True)
def run_length_histogram_par(mask, max_len=64):
    h, w = mask.shape
    per_row = np.zeros((h, w + 1), np.int64)
    for y in prange(h):
        run = 0
        for x in range(w):
            if mask[y, x]:
                run += 1
            elif run:
                per_row[y, run] += 1
                run = 0
        if run:
            per_row[y, run] += 1
    return per_row.sum(axis=0)[:max_len + 1]
