# attempt: a NumPy round trip through DLPack: np.from_dlpack, np.where, torch.from_dlpack
# expect: rule
# message: __dlpack__ (DLPack), torch.from_dlpack
def huber_vectorised(x, delta=1.0):
    v = np.from_dlpack(x)
    a = np.abs(v)
    return torch.from_dlpack(np.where(a <= delta, 0.5 * v * v, delta * (a - 0.5 * delta)))
