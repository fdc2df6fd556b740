# attempt: the row-order loop in plain Python (no @njit)
# expect: rule
# message: not a Numba function
def rlsa_vertical_nb(mask, gap):
    h, w = mask.shape
    out = mask.copy()
    last = [-1] * w
    rows = mask.tolist()
    for y in range(h):
        row = rows[y]
        for x in range(w):
            if row[x]:
                if last[x] >= 0 and y - last[x] - 1 <= gap:
                    out[last[x] + 1:y, x] = 1
                last[x] = y
    return out
