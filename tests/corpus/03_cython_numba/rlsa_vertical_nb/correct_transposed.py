# attempt: the column rule on a transposed contiguous copy
# expect: correct
@njit
def rlsa_vertical_nb(mask, gap):
    t = np.ascontiguousarray(mask.T)
    out = t.copy()
    w, h = t.shape
    for x in range(w):
        last = -1
        for y in range(h):
            if t[x, y]:
                if last >= 0 and y - last - 1 <= gap:
                    out[x, last + 1:y] = 1
                last = y
    return np.ascontiguousarray(out.T)
