# attempt: calls the library's fast version
# expect: rule
# message: calls pipeline.contrast_fast
def contrast_table(gray, low=1, high=99):
    return pipeline.contrast_fast(gray, low, high)
