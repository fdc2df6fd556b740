# attempt: a generator over the flat array: still one Python step per pixel
# expect: slow
def dark_pixels(gray, threshold=128):
    return sum(1 for v in gray.ravel().tolist() if v < threshold)
