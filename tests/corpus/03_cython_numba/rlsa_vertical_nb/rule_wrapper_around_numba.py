# attempt: a right Numba kernel behind a plain def that checks the inputs first (the def is refused)
# expect: rule
# message: a plain `def` around a Numba function
@njit
def _vertical_kernel(mask, gap):
    h, w = mask.shape
    out = mask.copy()
    last = np.full(w, -1, np.int64)
    for y in range(h):
        for x in range(w):
            if mask[y, x]:
                if last[x] >= 0 and y - last[x] - 1 <= gap:
                    for k in range(last[x] + 1, y):
                        out[k, x] = 1
                last[x] = y
    return out


def rlsa_vertical_nb(mask, gap):
    kernels.as_mask(mask)
    return _vertical_kernel(mask, kernels.check_gap(gap))
