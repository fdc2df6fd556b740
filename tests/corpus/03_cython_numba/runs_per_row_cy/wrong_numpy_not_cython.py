# attempt: a fast whole-array NumPy version, no Cython at all
# expect: wrong
# message: not compiled by Cython
def runs_per_row_cy(mask):
    starts = (mask[:, 1:] > mask[:, :-1]).sum(axis=1) + (mask[:, 0] > 0)
    return starts.astype(np.int32)
