# attempt: np.subtract and np.divide with out=
# expect: correct
def normalize_out(batch, out, mean=127.5, std=64.0):
    np.subtract(batch, np.float32(mean), out=out)
    np.divide(out, np.float32(std), out=out)
    return out
