# attempt: counting levels with searchsorted, the high bound with side="right" (one level too high when a level's count lands exactly on it)
# expect: wrong
# message: exactly 1 % of the pixels are bright
def contrast_table(gray, low=1, high=99):
    hist = np.bincount(gray.ravel(), minlength=256)
    cum = np.cumsum(hist)
    n = gray.size
    lo = int(np.searchsorted(cum, n * low // 100, side="right"))
    hi = int(np.searchsorted(cum, n - n * (100 - high) // 100, side="right"))
    if hi <= lo:
        hi = lo + 1
    v = np.arange(256)
    table = np.clip(((v - lo) * 255 + (hi - lo) // 2) // (hi - lo), 0, 255).astype(np.uint8)
    return cv2.LUT(gray, table)
