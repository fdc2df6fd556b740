# attempt: ignores out and returns a fresh array
# expect: rule
# message: into `out`
def normalize_out(batch, out, mean=127.5, std=64.0):
    return (batch.astype(np.float32) - np.float32(mean)) / np.float32(std)
