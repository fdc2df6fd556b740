# attempt: the batch version with cvtColor imported by name (from cv2 import cvtColor): one call
# expect: correct
from cv2 import COLOR_BGR2GRAY, INTER_LINEAR, cvtColor, getPerspectiveTransform, warpPerspective

def preprocess_lean(doc, size=fw.CROP_SIZE):
    w, h = size
    n = len(doc.quads)
    buf = np.empty((n, h, w, 3), np.uint8)
    dst = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], np.float32)
    for i, quad in enumerate(doc.quads):
        M = getPerspectiveTransform(quad, dst)
        warpPerspective(doc.image, M, (w, h), dst=buf[i], flags=INTER_LINEAR)
    gray = cvtColor(buf.reshape(n * h, w, 3), COLOR_BGR2GRAY).reshape(n, h, w)
    x = gray.astype(np.float32) / np.float32(255.0)
    mean = x.mean(axis=(1, 2), keepdims=True)
    std = x.std(axis=(1, 2), keepdims=True)
    return (x - mean) / (std + np.float32(1e-6))
