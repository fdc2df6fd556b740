# attempt: calls the library's NumPy version
# expect: rule
def rlsa_vertical_nb(mask, gap):
    return kernels.rlsa_vertical_numpy(mask, gap)
