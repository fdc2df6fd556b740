# attempt: calls augment_python itself
# expect: rule
def augment_fast(image, params):
    return capstone.augment_python(image, params)
