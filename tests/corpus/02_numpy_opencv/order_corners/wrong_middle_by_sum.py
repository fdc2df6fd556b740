# attempt: orders the two middle corners by x + y instead of y - x
# expect: wrong
def order_corners(quads):
    q = quads.astype(np.float64)
    s = q[..., 0] + q[..., 1]
    idx = np.argsort(s, axis=1, kind="stable")          # tl, two middles, br
    idx = idx[:, [0, 1, 3, 2]]
    return np.take_along_axis(quads, idx[..., None], axis=1)
