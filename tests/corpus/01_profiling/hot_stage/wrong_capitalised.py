# attempt: the right stage, but not spelled as in pipeline.STAGES
# expect: wrong
def hot_stage():
    return "Grayscale"
