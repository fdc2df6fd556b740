# attempt: np.percentile for the bounds: interpolated, not the counting rule
# expect: wrong
def contrast_table(gray, low=1, high=99):
    lo, hi = (int(v) for v in np.percentile(gray, [low, high]))
    if hi <= lo:
        hi = lo + 1
    v = np.arange(256)
    table = np.clip(((v - lo) * 255 + (hi - lo) // 2) // (hi - lo), 0, 255).astype(np.uint8)
    return table[gray]
