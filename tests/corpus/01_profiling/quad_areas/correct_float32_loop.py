# attempt: the loop with float32 arithmetic (must be accepted: the task allows it)
# expect: correct
def quad_areas(quads):
    areas = np.zeros(len(quads))
    for i, quad in enumerate(quads):
        s = np.float32(0.0)
        for j in range(4):
            x0, y0 = quad[j]
            x1, y1 = quad[(j + 1) % 4]
            s += x0 * y1 - x1 * y0          # float32 corners: float32 products
        areas[i] = abs(s) / 2
    return areas
