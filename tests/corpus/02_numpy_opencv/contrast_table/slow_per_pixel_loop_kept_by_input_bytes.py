# attempt: the per-pixel loop, its results kept by the input's bytes (a copy on a repeat): the timed calls repeat an input
# expect: slow
# message: fast only on inputs it has already seen
_kept = {}


def contrast_table(gray, low=1, high=99):
    key = (gray.shape, gray.tobytes(), low, high)
    if key not in _kept:
        rows = gray.tolist()
        hist = [0] * 256
        for row in rows:
            for v in row:
                hist[v] += 1
        n = gray.size
        cum, lo, hi = 0, None, None
        for v in range(256):
            cum += hist[v]
            if lo is None and cum > n * low // 100:
                lo = v
            if hi is None and cum >= n - n * (100 - high) // 100:
                hi = v
        if hi <= lo:
            hi = lo + 1
        out = np.zeros(gray.shape, np.uint8)
        for y, row in enumerate(rows):
            for x, v in enumerate(row):
                out[y, x] = min(255, max(0, ((v - lo) * 255 + (hi - lo) // 2) // (hi - lo)))
        _kept[key] = out
    return _kept[key].copy()
