# attempt: the right indices with whole-array argmin/argmax, then a Python loop over boxes to gather
# expect: rule
# message: once per box
def order_corners(quads):
    q = quads.astype(np.float64)
    s = q[..., 0] + q[..., 1]
    d = q[..., 1] - q[..., 0]
    tl = s.argmin(axis=1)
    br = s.argmax(axis=1)
    j = np.arange(4)
    rest = (j != tl[:, None]) & (j != br[:, None])
    tr = np.where(rest, d, np.inf).argmin(axis=1)
    bl = 6 - tl - br - tr
    idx = np.stack([tl, tr, br, bl], axis=1)
    out = np.empty_like(quads)
    for n in range(len(quads)):
        out[n] = quads[n, idx[n]]
    return out
