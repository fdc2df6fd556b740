# attempt: a helper that starts from a copy of a shared empty histogram and returns it, one row per iteration
# expect: correct
@njit
def row_runs(row, max_len, hist):
    hist = hist.copy()
    run = 0
    for x in range(row.shape[0]):
        if row[x]:
            run += 1
        elif run:
            hist[min(run, max_len)] += 1
            run = 0
    if run:
        hist[min(run, max_len)] += 1
    return hist


@njit(parallel=True)
def run_length_histogram_par(mask, max_len=64):
    h, w = mask.shape
    empty = np.zeros(max_len + 1, np.int64)
    per_row = np.zeros((h, max_len + 1), np.int64)
    for y in prange(h):
        per_row[y] = row_runs(mask[y], max_len, empty)
    return per_row.sum(axis=0)
