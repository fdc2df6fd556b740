# attempt: per-row histograms, but a run that reaches the end of a row is not counted
# expect: wrong
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
    return per_row.sum(axis=0)
