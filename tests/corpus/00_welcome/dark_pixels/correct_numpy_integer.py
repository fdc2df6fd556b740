# attempt: the NumPy integer that .sum() returns, without int(): a whole number, accepted
# expect: correct
def dark_pixels(gray, threshold=128):
    return (gray < threshold).sum()
