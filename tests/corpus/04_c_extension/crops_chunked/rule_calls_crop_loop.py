# attempt: one task that runs the loop it should replace
# expect: rule
def crops_chunked(image, quads, size):
    return pool.submit(crop_loop, image, quads, size).result()
