# attempt: the step loop handed to a worker thread that is already running (the rule's tracing once followed only the calling thread)
# expect: rule
# message: time step
from concurrent.futures import ThreadPoolExecutor

_pool = ThreadPoolExecutor(1)
_pool.submit(int).result()                   # the worker thread starts now, before any check


def _decode(logits, alphabet, blank):
    texts = []
    for row in logits.argmax(axis=2).tolist():
        chars, prev = [], blank
        for b in row:
            if b != blank and b != prev:
                chars.append(alphabet[b - 1])
            prev = b
        texts.append("".join(chars))
    return texts


def ctc_decode(logits, alphabet=ALPHABET, blank=0):
    return _pool.submit(_decode, logits, alphabet, blank).result()
