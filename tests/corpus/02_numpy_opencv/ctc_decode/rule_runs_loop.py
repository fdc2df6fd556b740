# attempt: collapse repeated steps with NumPy for all boxes at once, then a Python loop over the runs that are left (blank runs included), fast enough
# expect: rule
# message: once per run of equal time steps
def ctc_decode(logits, alphabet=ALPHABET, blank=0):
    best = logits.argmax(axis=2)
    first = np.ones(best.shape, bool)
    first[:, 1:] = best[:, 1:] != best[:, :-1]
    runs, counts = best[first].tolist(), first.sum(axis=1).tolist()
    texts, i = [], 0
    for c in counts:
        chars = []
        for b in runs[i:i + c]:             # one Python iteration per run of equal steps
            if b != blank:
                chars.append(alphabet[b - 1])
        i += c
        texts.append("".join(chars))
    return texts
