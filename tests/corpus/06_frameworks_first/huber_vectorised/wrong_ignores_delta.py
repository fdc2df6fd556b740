# attempt: hard-codes delta = 1
# expect: wrong
# message: delta is
def huber_vectorised(x, delta=1.0):
    a = x.abs()
    return torch.where(a <= 1.0, 0.5 * x * x, a - 0.5)
