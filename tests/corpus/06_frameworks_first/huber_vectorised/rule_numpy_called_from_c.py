# attempt: .numpy() called from C (map), back with torch.as_tensor: no profiler event for either
# expect: rule
# message: tensor operations only
def huber_vectorised(x, delta=1.0):
    v = next(map(torch.Tensor.numpy, [x]))
    a = np.abs(v)
    return torch.as_tensor(np.where(a <= delta, 0.5 * v * v, delta * (a - 0.5 * delta)))
