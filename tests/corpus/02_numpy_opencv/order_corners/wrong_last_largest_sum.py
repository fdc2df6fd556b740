# attempt: corners sorted by x + y: bottom-right is the last of the sort, so on a tie the later corner wins
# expect: wrong
# message: the same x + y
def order_corners(quads):
    q = quads.astype(np.float64)
    s = q[..., 0] + q[..., 1]
    d = q[..., 1] - q[..., 0]
    by_sum = np.argsort(s, axis=1, kind="stable")
    tl, br = by_sum[:, 0], by_sum[:, -1]
    j = np.arange(4)
    rest = (j != tl[:, None]) & (j != br[:, None])
    tr = np.where(rest, d, np.inf).argmin(axis=1)
    bl = 6 - tl - br - tr
    idx = np.stack([tl, tr, br, bl], axis=1)
    return np.take_along_axis(quads, idx[..., None], axis=1)
