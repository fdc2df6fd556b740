# attempt: calls one_at_a_time, the version it should beat
# expect: rule
def in_chunks(pool, seeds):
    return one_at_a_time(pool, seeds)
