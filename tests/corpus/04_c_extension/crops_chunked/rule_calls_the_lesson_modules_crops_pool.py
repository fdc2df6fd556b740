# attempt: the lesson module's own chunked pool (optkit.lessons.c_extension, imported as `crops`
#          in the setup cell), one line: two tasks on `pool`, so the task count alone passes it
#          (found by an expert in review, E43)
# expect: rule
# message: crops_pool
def crops_chunked(image, quads, size):
    return crops.crops_pool(image, quads, size, threads=2, pool=pool)
