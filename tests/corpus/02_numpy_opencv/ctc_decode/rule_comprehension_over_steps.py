# attempt: a comprehension over the steps of every box (a loop over time steps in disguise)
# expect: rule
# message: once per time step
def ctc_decode(logits, alphabet=ALPHABET, blank=0):
    best = logits.argmax(axis=2).tolist()
    return ["".join([alphabet[c - 1] for t, c in enumerate(row)
                     if c != blank and (t == 0 or c != row[t - 1])]) for row in best]
