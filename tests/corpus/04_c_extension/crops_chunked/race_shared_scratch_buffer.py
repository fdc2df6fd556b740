# attempt: two chunks on the pool, but both threads warp into ONE shared scratch buffer
#          and copy it out afterwards: a data race (found by a learner in review)
# expect: wrong
# message: data race
def crops_chunked(image, quads, size):
    h, w = size
    out = np.empty((len(quads), h, w) + image.shape[2:], np.uint8)
    tmp = np.empty((h, w) + image.shape[2:], np.uint8)      # shared by both threads
    dst = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], np.float32)

    def work(idx):
        for i in idx:
            M = cv2.getPerspectiveTransform(quads[i], dst)
            cv2.warpPerspective(image, M, (w, h), dst=tmp, flags=cv2.INTER_LINEAR,
                                borderMode=cv2.BORDER_CONSTANT)
            out[i] = tmp

    chunks = np.array_split(np.arange(len(quads)), 2)
    for f in [pool.submit(work, c) for c in chunks]:
        f.result()
    return out
