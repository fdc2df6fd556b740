# attempt: np.bincount + a table indexed with table[gray]
# expect: correct
def contrast_table(gray, low=1, high=99):
    hist = np.bincount(gray.ravel(), minlength=256)
    cum = np.cumsum(hist)
    n = gray.size
    lo = int(np.argmax(cum > n * low // 100))
    hi = int(np.argmax(cum >= n - n * (100 - high) // 100))
    if hi <= lo:
        hi = lo + 1
    v = np.arange(256, dtype=np.int64)
    table = np.clip(((v - lo) * 255 + (hi - lo) // 2) // (hi - lo), 0, 255).astype(np.uint8)
    return table[gray]
