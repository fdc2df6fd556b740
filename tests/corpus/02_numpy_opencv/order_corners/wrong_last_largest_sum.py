# attempt: corners sorted by x + y: bottom-right is the last of the sort, so on a tie the later corner wins
# expect: wrong
# message: the same x + y
def order_corners(quads):
    s = quads.sum(axis=2)
    d = quads[..., 1] - quads[..., 0]
    by_sum = np.argsort(s, axis=1)
    n = np.arange(len(quads))
    tl, br = by_sum[:, 0], by_sum[:, -1]
    tr, bl = np.argmin(d, axis=1), np.argmax(d, axis=1)
    return np.stack([quads[n, tl], quads[n, tr], quads[n, br], quads[n, bl]], axis=1)
