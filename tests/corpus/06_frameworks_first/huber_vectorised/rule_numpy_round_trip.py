# attempt: a NumPy round trip: .numpy(), np.where, torch.from_numpy (fast, but not tensor operations)
# expect: rule
# message: tensor operations only
def huber_vectorised(x, delta=1.0):
    v = x.numpy()
    a = np.abs(v)
    return torch.from_numpy(np.where(a <= delta, 0.5 * v * v, delta * (a - 0.5 * delta)))
