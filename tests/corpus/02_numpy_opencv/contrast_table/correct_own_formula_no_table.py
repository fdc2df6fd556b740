# attempt: no lookup table: the stretch formula on every pixel in int32 (the table is advice)
# expect: correct
def contrast_table(gray, low=1, high=99):
    cum = np.bincount(gray.reshape(-1), minlength=256).cumsum()
    n = gray.size
    lo = int(np.searchsorted(cum, n * low // 100, side="right"))
    hi = max(int(np.searchsorted(cum, n - n * (100 - high) // 100, side="left")), lo + 1)
    d = hi - lo
    v = gray.astype(np.int32) - lo
    return np.clip((v * 255 + d // 2) // d, 0, 255).astype(np.uint8)
