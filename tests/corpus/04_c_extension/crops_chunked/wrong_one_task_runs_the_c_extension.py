# attempt: one task on the pool that runs the course's C extension (crops.crops_native): not
#          forbidden, but not the same array as the loop (values within 1 grey level of OpenCV)
# expect: wrong
# message: elements differ
def crops_chunked(image, quads, size):
    return pool.submit(crops.crops_native, image, quads, size).result()
