# attempt: calls the library's crop and normalise helpers
# expect: rule
def preprocess_lean(doc, size=fw.CROP_SIZE):
    return fw.normalise_batch(fw.crop_gray_batch(doc.image, doc.quads, size))
