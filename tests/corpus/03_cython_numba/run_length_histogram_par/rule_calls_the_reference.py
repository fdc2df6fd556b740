# attempt: calls the Python reference
# expect: rule
def run_length_histogram_par(mask, max_len=64):
    return kernels.run_length_histogram_python(mask, max_len)
