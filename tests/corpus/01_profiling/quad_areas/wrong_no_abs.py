# attempt: forgets abs(): negative for corners listed the other way round
# expect: wrong
def quad_areas(quads):
    areas = np.zeros(len(quads))
    for i, quad in enumerate(quads):
        s = 0.0
        for j in range(4):
            x0, y0 = quad[j]
            x1, y1 = quad[(j + 1) % 4]
            s += float(x0) * float(y1) - float(x1) * float(y0)
        areas[i] = s / 2
    return areas
