# attempt: a list comprehension over the tensor's elements (0-d tensors), then torch.stack
# expect: slow
def huber_vectorised(x, delta=1.0):
    vals = [0.5 * v * v if abs(v) <= delta else delta * (abs(v) - 0.5 * delta) for v in x]
    return torch.stack(vals)
