# attempt: maps class c to alphabet[c] (forgets that class 0 is the blank)
# expect: wrong
def ctc_decode(logits, alphabet=ALPHABET, blank=0):
    best = logits.argmax(axis=2)
    keep = best != blank
    keep[:, 1:] &= best[:, 1:] != best[:, :-1]
    return ["".join(alphabet[c % len(alphabet)] for c in row[k]) for row, k in zip(best, keep)]
