# attempt: measures the stages itself (median of three plain runs) and returns the slowest
# expect: correct
def hot_stage():
    runs = [pipeline.run_timed(scene, pipeline.REFERENCE)[1] for _ in range(3)]
    median = {name: sorted(r[name] for r in runs)[1] for name in runs[0]}
    return max(median, key=median.get)
