# attempt: argmax once, then a mask per box built with np.concatenate
# expect: correct
def ctc_decode(logits, alphabet=ALPHABET, blank=0):
    best = logits.argmax(axis=2)
    letters = np.array(list(alphabet))
    texts = []
    for row in best:
        keep = (row != blank) & np.concatenate([[True], row[1:] != row[:-1]])
        texts.append("".join(letters[row[keep] - 1]))
    return texts
