# attempt: measures the stages itself and returns the slowest
# expect: correct
def hot_stage():
    times = pipeline.run_timed(scene, pipeline.REFERENCE)[1]
    return max(times, key=times.get)
