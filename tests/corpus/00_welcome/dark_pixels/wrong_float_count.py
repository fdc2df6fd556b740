# attempt: a float count (the mean of the mask times its size): 2.0 is not a count
# expect: wrong
# message: a count is an int
def dark_pixels(gray, threshold=128):
    return float((gray < threshold).mean() * gray.size)
