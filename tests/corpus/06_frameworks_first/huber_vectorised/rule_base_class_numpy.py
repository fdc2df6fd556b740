# attempt: a NumPy round trip through torch.Tensor's C base class (TensorBase.numpy) and torch.Tensor(ndarray)
# expect: rule
# message: .numpy()
def huber_vectorised(x, delta=1.0):
    v = type(x).__mro__[1].numpy(x)
    a = np.abs(v)
    return torch.Tensor(np.where(a <= delta, 0.5 * v * v, delta * (a - 0.5 * delta)))
