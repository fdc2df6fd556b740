# attempt: all boxes' steps flattened into one row, so a box's first step is compared with the previous box's last
# expect: wrong
# message: the box before it ends with
def ctc_decode(logits, alphabet=ALPHABET, blank=0):
    n, t, c = logits.shape
    best = logits.argmax(axis=2).ravel()
    keep = best != blank
    keep[1:] &= best[1:] != best[:-1]
    codes = np.frombuffer(("\0" + alphabet).encode("ascii"), np.uint8)
    text = codes[best[keep]].tobytes().decode("ascii")
    ends = np.cumsum(keep.reshape(n, t).sum(axis=1)).tolist()
    return [text[a:b] for a, b in zip([0] + ends[:-1], ends)]
