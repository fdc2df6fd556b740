# attempt: rows split into chunks, one private histogram row per chunk
# expect: correct
@njit(parallel=True)
def run_length_histogram_par(mask, max_len=64):
    h, w = mask.shape
    n_chunks = 16
    per_chunk = np.zeros((n_chunks, max_len + 1), np.int64)
    for c in prange(n_chunks):
        for y in range(c * h // n_chunks, (c + 1) * h // n_chunks):
            run = 0
            for x in range(w):
                if mask[y, x]:
                    run += 1
                elif run:
                    per_chunk[c, min(run, max_len)] += 1
                    run = 0
            if run:
                per_chunk[c, min(run, max_len)] += 1
    return per_chunk.sum(axis=0)
