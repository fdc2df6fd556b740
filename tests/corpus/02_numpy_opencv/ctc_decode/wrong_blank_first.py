# attempt: drops blanks first, then repeats: merges a letter doubled across a blank
# expect: wrong
def ctc_decode(logits, alphabet=ALPHABET, blank=0):
    best = logits.argmax(axis=2)
    texts = []
    for row in best:
        row = row[row != blank]
        if len(row):
            row = row[np.concatenate([[True], row[1:] != row[:-1]])]
        texts.append("".join(alphabet[c - 1] for c in row))
    return texts
