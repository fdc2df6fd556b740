# attempt: builds the histogram, then hands the table to the library's pipeline.contrast_table
# expect: rule
# message: pipeline.contrast_table
def contrast_table(gray, low=1, high=99):
    return cv2.LUT(gray, pipeline.contrast_table(np.bincount(gray.ravel(), minlength=256), gray.size, low, high))
