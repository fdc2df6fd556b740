# attempt: writes the result into gray and returns it
# expect: wrong
# message: changed its input `gray`
def contrast_table(gray, low=1, high=99):
    cum = np.cumsum(np.bincount(gray.ravel(), minlength=256))
    n = gray.size
    lo = int(np.searchsorted(cum, n * low // 100, side="right"))
    hi = int(np.searchsorted(cum, n - n * (100 - high) // 100, side="left"))
    if hi <= lo:
        hi = lo + 1
    v = np.arange(256)
    table = np.clip(((v - lo) * 255 + (hi - lo) // 2) // (hi - lo), 0, 255).astype(np.uint8)
    gray[...] = table[gray]
    return gray
