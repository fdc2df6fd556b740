# attempt: TR and BL by argmin/argmax of y - x over all four corners (a tie picks TL again)
# expect: wrong
def order_corners(quads):
    q = quads.astype(np.float64)
    s = q[..., 0] + q[..., 1]
    d = q[..., 1] - q[..., 0]
    idx = np.stack([s.argmin(axis=1), d.argmin(axis=1), s.argmax(axis=1), d.argmax(axis=1)], axis=1)
    return np.take_along_axis(quads, idx[..., None], axis=1)
