# attempt: per-row histograms in plain Python (no @njit)
# expect: slow
def run_length_histogram_par(mask, max_len=64):
    h, w = mask.shape
    per_row = np.zeros((h, max_len + 1), np.int64)
    for y in range(h):
        run = 0
        for v in mask[y].tolist():
            if v:
                run += 1
            elif run:
                per_row[y, min(run, max_len)] += 1
                run = 0
        if run:
            per_row[y, min(run, max_len)] += 1
    return per_row.sum(axis=0)
