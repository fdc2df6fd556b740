# attempt: the masks for all boxes at once, then one join per box over the kept classes
# expect: correct
def ctc_decode(logits, alphabet=ALPHABET, blank=0):
    best = logits.argmax(axis=2)
    keep = best != blank
    keep[:, 1:] &= best[:, 1:] != best[:, :-1]
    return ["".join([alphabet[c - 1] for c in row[k].tolist()]) for row, k in zip(best, keep)]
