# attempt: a list comprehension in this process that never touches the pool (fast, but not the task)
# expect: rule
# message: the pool got no work
def in_chunks(pool, seeds):
    return [scale.box_features(s) for s in seeds]
