# attempt: one decoy pool.submit, then one task per box through the class (type(pool).submit)
# expect: rule
# message: one task per chunk
def crops_chunked(image, quads, size):
    h, w = size
    out = np.zeros((len(quads), h, w) + image.shape[2:], np.uint8)
    dst = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], np.float32)

    def one(i):
        M = cv2.getPerspectiveTransform(quads[i], dst)
        out[i] = cv2.warpPerspective(image, M, (w, h), flags=cv2.INTER_LINEAR,
                                     borderMode=cv2.BORDER_CONSTANT)

    pool.submit(len, quads).result()
    for f in [type(pool).submit(pool, one, i) for i in range(len(quads))]:
        f.result()
    return out
