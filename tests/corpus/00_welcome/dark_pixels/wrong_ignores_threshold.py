# attempt: always uses 128, whatever threshold is passed
# expect: wrong
def dark_pixels(gray, threshold=128):
    return int(np.count_nonzero(gray < 128))
