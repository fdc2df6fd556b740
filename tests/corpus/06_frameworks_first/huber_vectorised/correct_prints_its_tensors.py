# attempt: correct, and prints its tensors while debugging (a tensor's repr calls .tolist())
# expect: correct
debug_prints = [10]             # a learner's debugging print: the first calls only (the check's
                                # correctness runs and its rule; not thousands of timed calls)


def huber_vectorised(x, delta=1.0):
    a = x.abs()
    out = torch.where(a <= delta, 0.5 * x * x, delta * (a - 0.5 * delta))
    if debug_prints[0]:
        debug_prints[0] -= 1
        print("huber_vectorised:", x, f"-> {out}", f"(delta {delta})")
    return out
