# attempt: per-row histograms with 65 bins written in, whatever max_len is
# expect: wrong
# message: max_len is 8
@njit(parallel=True)
def run_length_histogram_par(mask, max_len=64):
    h, w = mask.shape
    per_row = np.zeros((h, 65), np.int64)
    for y in prange(h):
        run = 0
        for x in range(w):
            if mask[y, x]:
                run += 1
            elif run:
                per_row[y, min(run, 64)] += 1
                run = 0
        if run:
            per_row[y, min(run, 64)] += 1
    return per_row.sum(axis=0)
