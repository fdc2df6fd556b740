# attempt: fills gaps shorter than gap only (< instead of <=)
# expect: wrong
@njit
def rlsa_vertical_nb(mask, gap):
    h, w = mask.shape
    out = mask.copy()
    last = np.full(w, -1, np.int64)
    for y in range(h):
        for x in range(w):
            if mask[y, x]:
                if last[x] >= 0 and y - last[x] - 1 < gap:
                    for k in range(last[x] + 1, y):
                        out[k, x] = 1
                last[x] = y
    return out
