# attempt: counts pixels <= threshold (off by one at the threshold)
# expect: wrong
def dark_pixels(gray, threshold=128):
    return int(np.count_nonzero(gray <= threshold))
