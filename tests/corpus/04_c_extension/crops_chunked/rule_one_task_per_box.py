# attempt: pool.map over the boxes: one task per box, not per chunk
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

    list(pool.map(one, range(len(quads))))
    return out
