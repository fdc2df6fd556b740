# attempt: each row counted into its own histogram, then merged into one shared total by a helper (total += part)
# expect: wrong
# message: a data race?
@njit
def row_runs(row, max_len):
    part = np.zeros(max_len + 1, np.int64)
    run = 0
    for x in range(row.shape[0]):
        if row[x]:
            run += 1
        elif run:
            part[min(run, max_len)] += 1
            run = 0
    if run:
        part[min(run, max_len)] += 1
    return part


@njit
def add_into(total, part):
    total += part


@njit(parallel=True)
def run_length_histogram_par(mask, max_len=64):
    h, w = mask.shape
    hist = np.zeros(max_len + 1, np.int64)
    for y in prange(h):
        add_into(hist, row_runs(mask[y], max_len))
    return hist
