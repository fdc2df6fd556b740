# attempt: its own chunk bounds, but each chunk's work done by the lesson module's ready-made
#          per-chunk helper crops.warp_range (E43)
# expect: rule
# message: warp_range
def crops_chunked(image, quads, size):
    h, w = size
    out = np.empty((len(quads), h, w) + image.shape[2:], np.uint8)
    n = len(quads)
    bounds = [(0, n // 2), (n // 2, n)]
    for f in [pool.submit(crops.warp_range, image, quads, size, out, s, e) for s, e in bounds]:
        f.result()
    return out
