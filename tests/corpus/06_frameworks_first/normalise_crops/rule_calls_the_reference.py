# attempt: calls the library's batch version
# expect: rule
def normalise_crops(grays, eps=1e-6):
    return fw.normalise_batch(grays, eps)
