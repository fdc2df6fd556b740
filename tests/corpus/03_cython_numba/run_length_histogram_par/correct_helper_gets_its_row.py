# attempt: per-row histograms, each row counted by a small @njit helper that is given that row's mask and histogram
# expect: correct
@njit
def count_row(runs, row, max_len):
    run = 0
    for x in range(runs.shape[0]):
        if runs[x]:
            run += 1
        elif run:
            row[min(run, max_len)] += 1
            run = 0
    if run:
        row[min(run, max_len)] += 1


@njit(parallel=True)
def run_length_histogram_par(mask, max_len=64):
    h, w = mask.shape
    per_row = np.zeros((h, max_len + 1), np.int64)
    for y in prange(h):
        count_row(mask[y], per_row[y], max_len)
    return per_row.sum(axis=0)
