# attempt: a NumPy round trip through names bound before the check: `from torch import from_numpy` and .numpy() saved as an alias
# expect: rule
# message: .numpy(), torch.from_numpy
from torch import from_numpy
to_numpy = torch.Tensor.numpy


def huber_vectorised(x, delta=1.0):
    v = to_numpy(x)
    a = np.abs(v)
    return from_numpy(np.where(a <= delta, 0.5 * v * v, delta * (a - 0.5 * delta)))
