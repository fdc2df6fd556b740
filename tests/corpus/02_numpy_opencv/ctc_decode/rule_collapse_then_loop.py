# attempt: per box, drop repeated steps with a NumPy mask, then a Python loop over the steps that are left
# expect: rule
# message: once per run of equal time steps
def ctc_decode(logits, alphabet=ALPHABET, blank=0):
    best = logits.argmax(axis=2)
    texts = []
    for row in best:
        runs = row[np.r_[True, row[1:] != row[:-1]]].tolist()   # one entry per run of equal steps
        chars = []
        for b in runs:
            if b != blank:
                chars.append(alphabet[b - 1])
        texts.append("".join(chars))
    return texts
