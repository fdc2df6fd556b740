# attempt: sums the boolean mask in uint8, which wraps past 255
# expect: wrong
def dark_pixels(gray, threshold=128):
    return int(np.sum(gray < threshold, dtype=np.uint8))
