# attempt: calls the library's in-place version
# expect: rule
def normalize_out(batch, out, mean=127.5, std=64.0):
    return system.normalize_into(batch, mean, std, out=out)
