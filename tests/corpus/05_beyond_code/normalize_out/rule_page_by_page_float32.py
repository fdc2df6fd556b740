# attempt: page by page, each page through a float32 temporary as large as the uint8 batch
# expect: rule
# message: the limit is the uint8 batch's size
def normalize_out(batch, out, mean=127.5, std=64.0):
    for i in range(len(batch)):
        out[i] = (batch[i].astype(np.float32) - np.float32(mean)) / np.float32(std)
    return out
