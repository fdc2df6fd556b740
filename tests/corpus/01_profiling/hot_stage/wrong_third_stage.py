# attempt: the third-largest stage of the shown table (binarize here), far below the top
# expect: wrong
# message: is not the hot stage
def hot_stage():
    return sorted(stage_s, key=stage_s.get)[-3]
