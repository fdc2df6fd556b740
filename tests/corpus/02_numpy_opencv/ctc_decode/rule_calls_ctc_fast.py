# attempt: calls the library's vectorised decoder
# expect: rule
def ctc_decode(logits, alphabet=ALPHABET, blank=0):
    return pipeline.ctc_fast(logits, alphabet, blank)
