# attempt: two chunks [0:n//2] and [n//2+1:n] into an np.empty buffer: box n//2 is never cropped
# expect: wrong
def crops_chunked(image, quads, size):
    h, w = size
    n = len(quads)
    out = np.empty((n, h, w) + image.shape[2:], np.uint8)
    dst = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], np.float32)

    def work(start, stop):
        for i in range(start, stop):
            M = cv2.getPerspectiveTransform(quads[i], dst)
            out[i] = cv2.warpPerspective(image, M, (w, h), flags=cv2.INTER_LINEAR,
                                         borderMode=cv2.BORDER_CONSTANT)

    for f in [pool.submit(work, 0, n // 2), pool.submit(work, n // 2 + 1, n)]:
        f.result()
    return out
