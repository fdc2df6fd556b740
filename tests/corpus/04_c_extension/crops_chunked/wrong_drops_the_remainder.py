# attempt: four chunks of n // 4 boxes: the last boxes are never cropped
# expect: wrong
def crops_chunked(image, quads, size):
    h, w = size
    out = np.zeros((len(quads), h, w) + image.shape[2:], np.uint8)
    dst = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], np.float32)

    def one(i):
        M = cv2.getPerspectiveTransform(quads[i], dst)
        out[i] = cv2.warpPerspective(image, M, (w, h), flags=cv2.INTER_LINEAR,
                                     borderMode=cv2.BORDER_CONSTANT)

    step = len(quads) // 4

    def work(start):
        for i in range(start, start + step):
            one(i)

    for f in [pool.submit(work, k * step) for k in range(4)]:
        f.result()
    return out
