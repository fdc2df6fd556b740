# attempt: the official steps without the horizontal flip
# expect: wrong
def augment_fast(image, params):
    S = params["size"]
    n = len(params["y0"])
    W = image.shape[1]
    # 1-2. where every output pixel comes from: one flat index per (sample, row, column)
    r = np.arange(S)
    rows = params["y0"][:, None] + (r * params["h"][:, None]) // S          # (n, S)
    cols = np.broadcast_to(r, (n, S))                 # flip = reversed columns
    cols = params["x0"][:, None] + (cols * params["w"][:, None]) // S      # (n, S)
    flat = (rows[:, :, None] * W + cols[:, None, :]).reshape(n, S * S)     # (n, S*S)
    px = image.reshape(-1, 3)[flat]                                        # (n, S*S, 3) uint8, BGR
    # one float plane per channel, brightness applied (float64, like the Python floats)
    bright = params["brightness"][:, None]
    b = px[..., 0] * bright
    g = px[..., 1] * bright
    rd = px[..., 2] * bright
    # 3. contrast around the patch's mean grey, then saturation around each pixel's grey
    wb, wg, wr = capstone.GREY_BGR
    mean = (wb * b + wg * g + wr * rd).mean(axis=1, keepdims=True)
    c = params["contrast"][:, None]
    b = mean + c * (b - mean)
    g = mean + c * (g - mean)
    rd = mean + c * (rd - mean)
    grey = wb * b + wg * g + wr * rd
    s = params["saturation"][:, None]
    # 4. clip, normalise, RGB channels first
    out = np.empty((n, 3, S * S), dtype=np.float32)
    for k, (plane, m, sd) in enumerate(zip((rd, g, b), capstone.MEAN_RGB, capstone.STD_RGB)):
        plane = grey + s * (plane - grey)
        np.clip(plane, 0.0, 255.0, out=plane)
        out[:, k] = (plane / 255.0 - m) / sd
    return out.reshape(n, 3, S, S)
