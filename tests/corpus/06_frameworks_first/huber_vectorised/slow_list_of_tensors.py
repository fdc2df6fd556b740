# attempt: a list comprehension over elements, then torch.tensor
# expect: slow
def huber_vectorised(x, delta=1.0):
    vals = [0.5 * v * v if abs(v) <= delta else delta * (abs(v) - 0.5 * delta) for v in x.tolist()]
    return torch.tensor(vals, dtype=x.dtype)
