# attempt: the textbook form, two float32 sums subtracted at the end (must be accepted: the task allows float32)
# expect: correct
def quad_areas(quads):
    areas = np.zeros(len(quads))
    for i, quad in enumerate(quads):
        a = 0.0
        b = 0.0
        for j in range(4):
            x0, y0 = quad[j]                  # float32 scalars: a and b stay float32 (NEP 50)
            x1, y1 = quad[(j + 1) % 4]
            a += x0 * y1
            b += x1 * y0
        areas[i] = abs(a - b) / 2
    return areas
