# attempt: the histogram still counted in a Python loop
# expect: slow
def contrast_table(gray, low=1, high=99):
    hist = [0] * 256
    for v in gray.ravel().tolist():
        hist[v] += 1
    cum = np.cumsum(hist)
    n = gray.size
    lo = int(np.searchsorted(cum, n * low // 100, side="right"))
    hi = int(np.searchsorted(cum, n - n * (100 - high) // 100, side="left"))
    if hi <= lo:
        hi = lo + 1
    v = np.arange(256)
    table = np.clip(((v - lo) * 255 + (hi - lo) // 2) // (hi - lo), 0, 255).astype(np.uint8)
    return table[gray]
