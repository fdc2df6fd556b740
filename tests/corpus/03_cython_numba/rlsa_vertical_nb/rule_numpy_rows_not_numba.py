# attempt: NumPy over the columns, one row at a time, without @njit (not a Numba version)
# expect: rule
# message: not a Numba function
def rlsa_vertical_nb(mask, gap):
    h, w = mask.shape
    out = mask.copy()
    last = np.full(w, -1, np.int64)
    for y in range(h):
        ink = mask[y] != 0
        fill = ink & (last >= 0) & (y - last - 1 <= gap)
        for x in np.flatnonzero(fill):
            out[last[x] + 1:y, x] = 1
        last[ink] = y
    return out
