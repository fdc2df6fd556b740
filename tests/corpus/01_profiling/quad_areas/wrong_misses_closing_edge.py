# attempt: sums three edges: forgets the one from the last corner back to the first
# expect: wrong
def quad_areas(quads):
    areas = np.zeros(len(quads))
    for i, quad in enumerate(quads):
        s = 0.0
        for j in range(3):
            x0, y0 = quad[j]
            x1, y1 = quad[j + 1]
            s += float(x0) * float(y1) - float(x1) * float(y0)
        areas[i] = abs(s) / 2
    return areas
