# attempt: compares x <= delta without abs(): negative values take the wrong branch
# expect: wrong
def huber_vectorised(x, delta=1.0):
    return torch.where(x <= delta, 0.5 * x * x, delta * (x.abs() - 0.5 * delta))
