# attempt: divides by the Python float 255.0 after astype(float): a float64 result
# expect: wrong
def normalise_crops(grays, eps=1e-6):
    x = grays.astype(float) / 255.0
    mean = x.mean(axis=(1, 2), keepdims=True)
    std = x.std(axis=(1, 2), keepdims=True)
    return (x - mean) / (std + eps)
