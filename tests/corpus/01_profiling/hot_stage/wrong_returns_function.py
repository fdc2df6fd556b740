# attempt: returns the stage function instead of its name
# expect: wrong
def hot_stage():
    return pipeline.grayscale_reference
