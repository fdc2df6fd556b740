# attempt: moves every quad to the origin in place (right areas, changed input)
# expect: wrong
# message: changed its input `quads`
def quad_areas(quads):
    quads -= quads[:, :1]                     # the area does not change under a shift...
    areas = np.zeros(len(quads))
    for i, quad in enumerate(quads):
        s = 0.0
        for j in range(4):
            x0, y0 = quad[j]
            x1, y1 = quad[(j + 1) % 4]
            s += float(x0) * float(y1) - float(x1) * float(y0)
        areas[i] = abs(s) / 2
    return areas
