# attempt: statistics in float64, the result cast to float32 at the end
# expect: correct
def preprocess_lean(doc, size=fw.CROP_SIZE):
    w, h = size
    n = len(doc.quads)
    buf = np.empty((n, h, w, 3), np.uint8)
    dst = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], np.float32)
    for i, quad in enumerate(doc.quads):
        M = cv2.getPerspectiveTransform(quad, dst)
        cv2.warpPerspective(doc.image, M, (w, h), dst=buf[i], flags=cv2.INTER_LINEAR)
    gray = cv2.cvtColor(buf.reshape(n * h, w, 3), cv2.COLOR_BGR2GRAY).reshape(n, h, w)
    x = gray / 255.0
    mean = x.mean(axis=(1, 2), keepdims=True)
    std = x.std(axis=(1, 2), keepdims=True)
    return ((x - mean) / (std + 1e-6)).astype(np.float32)
