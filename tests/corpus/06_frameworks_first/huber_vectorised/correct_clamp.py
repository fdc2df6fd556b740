# attempt: the quadratic part on the clamped value plus the linear rest
# expect: correct
def huber_vectorised(x, delta=1.0):
    a = x.abs()
    q = torch.clamp(a, max=delta)
    return 0.5 * q * q + delta * (a - q)
