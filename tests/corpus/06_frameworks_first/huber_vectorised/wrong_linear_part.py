# attempt: the linear part without the 0.5: delta * (|x| - delta)
# expect: wrong
def huber_vectorised(x, delta=1.0):
    a = x.abs()
    return torch.where(a <= delta, 0.5 * x * x, delta * (a - delta))
