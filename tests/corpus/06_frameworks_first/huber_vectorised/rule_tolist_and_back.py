# attempt: out to a Python list and a NumPy array, back with torch.tensor
# expect: rule
# message: .tolist()
def huber_vectorised(x, delta=1.0):
    v = np.array(x.tolist(), dtype=np.float32)
    a = np.abs(v)
    return torch.tensor(np.where(a <= delta, 0.5 * v * v, delta * (a - 0.5 * delta)))
