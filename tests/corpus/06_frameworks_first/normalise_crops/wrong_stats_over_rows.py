# attempt: mean and std over axis 2 only (per row of each crop)
# expect: wrong
def normalise_crops(grays, eps=1e-6):
    x = grays.astype(np.float32) / np.float32(255.0)
    mean = x.mean(axis=2, keepdims=True)
    std = x.std(axis=2, keepdims=True)
    return (x - mean) / (std + np.float32(eps))
