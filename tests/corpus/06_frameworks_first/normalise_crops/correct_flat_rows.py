# attempt: reshapes to (N, h * w), statistics along axis 1
# expect: correct
def normalise_crops(grays, eps=1e-6):
    n = len(grays)
    x = grays.reshape(n, -1).astype(np.float32) / np.float32(255.0)
    x = (x - x.mean(axis=1, keepdims=True)) / (x.std(axis=1, keepdims=True) + np.float32(eps))
    return x.reshape(grays.shape)
