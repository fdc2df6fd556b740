# attempt: calls the loop it should replace
# expect: rule
# message: calls dark_pixels_loop
def dark_pixels(gray, threshold=128):
    return dark_pixels_loop(gray, threshold)
