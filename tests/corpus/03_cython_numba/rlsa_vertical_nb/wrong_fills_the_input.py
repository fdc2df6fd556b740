# attempt: out = mask without a copy: fills the input itself
# expect: wrong
@njit
def rlsa_vertical_nb(mask, gap):
    h, w = mask.shape
    out = mask
    for x in range(w):
        last = -1
        for y in range(h):
            if out[y, x]:
                if last >= 0 and y - last - 1 <= gap:
                    for k in range(last + 1, y):
                        out[k, x] = 1
                last = y
    return out
