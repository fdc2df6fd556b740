# attempt: computes a fresh array, then copies it into out
# expect: rule
# message: no new array
def normalize_out(batch, out, mean=127.5, std=64.0):
    out[...] = (batch.astype(np.float32) - np.float32(mean)) / np.float32(std)
    return out
