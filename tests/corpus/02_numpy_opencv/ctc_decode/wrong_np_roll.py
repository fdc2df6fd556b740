# attempt: np.roll for the previous step: the first step's previous wraps to the last
# expect: wrong
# message: the first and last steps are the same letter
def ctc_decode(logits, alphabet=ALPHABET, blank=0):
    best = logits.argmax(axis=2)
    keep = (best != blank) & (best != np.roll(best, 1, axis=1))
    return ["".join(alphabet[c - 1] for c in row[k]) for row, k in zip(best, keep)]
