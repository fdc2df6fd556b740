# attempt: calls the library's vectorised version
# expect: rule
def order_corners(quads):
    return pipeline.order_fast(quads)
