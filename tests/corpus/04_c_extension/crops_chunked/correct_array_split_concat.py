# attempt: np.array_split into two chunks, each returns its crops, then concatenate
# expect: correct
def crops_chunked(image, quads, size):
    h, w = size
    dst = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], np.float32)

    def work(chunk):
        out = np.empty((len(chunk), h, w) + image.shape[2:], np.uint8)
        for k, q in enumerate(chunk):
            M = cv2.getPerspectiveTransform(q, dst)
            out[k] = cv2.warpPerspective(image, M, (w, h), flags=cv2.INTER_LINEAR,
                                         borderMode=cv2.BORDER_CONSTANT)
        return out

    return np.concatenate(list(pool.map(work, np.array_split(quads, 2))))
