# attempt: interleaved chunks whose crops are stored chunk after chunk (wrong order)
# expect: wrong
def crops_chunked(image, quads, size):
    h, w = size
    dst = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], np.float32)

    def work(idx):
        return [cv2.warpPerspective(image, cv2.getPerspectiveTransform(quads[i], dst), (w, h),
                                    flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
                for i in idx]

    parts = pool.map(work, [range(0, len(quads), 2), range(1, len(quads), 2)])
    return np.array([c for part in parts for c in part], np.uint8).reshape(len(quads), h, w, -1)
