# attempt: reads the stage table's medians (stage_s, the five shown runs) and returns the largest
# expect: correct
def hot_stage():
    return max(stage_s, key=stage_s.get)
