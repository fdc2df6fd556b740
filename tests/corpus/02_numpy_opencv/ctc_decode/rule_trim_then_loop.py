# attempt: cut the trailing blank steps first (the rule once stretched by appending blanks), then loop over the steps
# expect: rule
# message: once per time step
def ctc_decode(logits, alphabet=ALPHABET, blank=0):
    best = logits.argmax(axis=2)
    used = np.flatnonzero((best != blank).any(axis=0))
    best = best[:, :used[-1] + 1] if used.size else best[:, :0]
    texts = []
    for row in best.tolist():
        chars, prev = [], blank
        for b in row:
            if b != blank and b != prev:
                chars.append(alphabet[b - 1])
            prev = b
        texts.append("".join(chars))
    return texts
