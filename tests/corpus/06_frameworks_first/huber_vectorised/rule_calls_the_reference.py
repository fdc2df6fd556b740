# attempt: calls the check's reference
# expect: rule
def huber_vectorised(x, delta=1.0):
    return huber_reference(x, delta)
