# attempt: NumPy functions given the tensor itself, then torch.as_tensor of the result
# expect: rule
# message: a NumPy function given a tensor
def huber_vectorised(x, delta=1.0):
    a = np.abs(x)
    return torch.as_tensor(np.where(a <= delta, 0.5 * x * x, delta * (a - 0.5 * delta)))
