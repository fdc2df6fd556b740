# attempt: the counting lookup table without the `hi <= lo` guard (NumPy's integer // 0 gives 0: a black image when one level holds both bounds)
# expect: wrong
# message: almost every pixel has one gray level
def contrast_table(gray, low=1, high=99):
    hist = np.bincount(gray.ravel(), minlength=256)
    cum = np.cumsum(hist)
    n = gray.size
    lo = int(np.searchsorted(cum, n * low // 100, side="right"))
    hi = int(np.searchsorted(cum, n - n * (100 - high) // 100, side="left"))
    v = np.arange(256)
    with np.errstate(divide="ignore"):
        table = np.clip(((v - lo) * 255 + (hi - lo) // 2) // (hi - lo), 0, 255).astype(np.uint8)
    return cv2.LUT(gray, table)
