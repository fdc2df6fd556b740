# attempt: calls the library's lookup-table version
# expect: rule
def contrast_table(gray, low=1, high=99):
    return numpy_opencv.contrast_lut(gray, low, high)
