# attempt: names a stage that is not the hot one
# expect: wrong
def hot_stage():
    return "order"
