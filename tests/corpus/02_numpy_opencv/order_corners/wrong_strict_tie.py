# attempt: breaks the y - x tie the other way (< instead of <=)
# expect: wrong
def order_corners(quads):
    q = quads.astype(np.float64)
    s = q[..., 0] + q[..., 1]
    d = q[..., 1] - q[..., 0]
    tl = s.argmin(axis=1)
    br = s.argmax(axis=1)
    j = np.arange(4)
    others = np.nonzero((j != tl[:, None]) & (j != br[:, None]))[1].reshape(-1, 2)
    od = np.take_along_axis(d, others, axis=1)
    first_is_tr = od[:, 0] < od[:, 1]
    tr = np.where(first_is_tr, others[:, 0], others[:, 1])
    bl = np.where(first_is_tr, others[:, 1], others[:, 0])
    idx = np.stack([tl, tr, br, bl], axis=1)
    return np.take_along_axis(quads, idx[..., None], axis=1)
