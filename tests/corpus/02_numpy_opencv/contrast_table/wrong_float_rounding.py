# attempt: a float table rounded with np.round (half to even), not the integer rule
# expect: wrong
def contrast_table(gray, low=1, high=99):
    cum = np.cumsum(np.bincount(gray.ravel(), minlength=256))
    n = gray.size
    lo = int(np.searchsorted(cum, n * low // 100, side="right"))
    hi = int(np.searchsorted(cum, n - n * (100 - high) // 100, side="left"))
    if hi <= lo:
        hi = lo + 1
    table = np.clip(np.round((np.arange(256) - lo) * 255 / (hi - lo)), 0, 255).astype(np.uint8)
    return table[gray]
