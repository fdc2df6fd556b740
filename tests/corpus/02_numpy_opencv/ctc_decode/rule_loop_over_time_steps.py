# attempt: argmax at once, but the repeat mask built in a Python loop over time steps (fast enough)
# expect: rule
# message: once per time step
def ctc_decode(logits, alphabet=ALPHABET, blank=0):
    best = logits.argmax(axis=2)
    keep = best != blank
    for t in range(1, best.shape[1]):
        keep[:, t] &= best[:, t] != best[:, t - 1]
    return ["".join([alphabet[c - 1] for c in row[k].tolist()]) for row, k in zip(best, keep)]
