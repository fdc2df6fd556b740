# attempt: "one histogram per thread" read as the whole serial loop inside `for c in prange(1)`
# expect: rule
# message: one thread does all the work
@njit(parallel=True)
def run_length_histogram_par(mask, max_len=64):
    h, w = mask.shape
    per = np.zeros((1, max_len + 1), np.int64)
    for c in prange(1):
        for y in range(h):
            run = 0
            for x in range(w):
                if mask[y, x]:
                    run += 1
                elif run:
                    per[c, min(run, max_len)] += 1
                    run = 0
            if run:
                per[c, min(run, max_len)] += 1
    return per.sum(axis=0)
