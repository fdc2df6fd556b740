# attempt: sums the boolean mask (int64 by default)
# expect: correct
def dark_pixels(gray, threshold=128):
    return int((gray < threshold).sum())
