# attempt: fills out but returns nothing
# expect: wrong
def normalize_out(batch, out, mean=127.5, std=64.0):
    np.copyto(out, batch, casting="unsafe")
    out -= np.float32(mean)
    out /= np.float32(std)
