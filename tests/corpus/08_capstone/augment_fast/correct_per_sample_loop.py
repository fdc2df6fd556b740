# attempt: the same steps, one sample at a time (vectorised inside a sample)
# expect: correct
def augment_fast(image, params):
    S = params["size"]
    n = len(params["y0"])
    out = np.empty((n, 3, S, S), np.float32)
    r = np.arange(S)
    wb, wg, wr = capstone.GREY_BGR
    for i in range(n):
        rows = params["y0"][i] + (r * params["h"][i]) // S
        c = S - 1 - r if params["flip"][i] else r
        cols = params["x0"][i] + (c * params["w"][i]) // S
        px = image[rows[:, None], cols[None, :]] * float(params["brightness"][i])   # (S, S, 3) float64
        b, g, rd = px[..., 0], px[..., 1], px[..., 2]
        mean = (wb * b + wg * g + wr * rd).mean()
        k = float(params["contrast"][i])
        b, g, rd = mean + k * (b - mean), mean + k * (g - mean), mean + k * (rd - mean)
        grey = wb * b + wg * g + wr * rd
        s = float(params["saturation"][i])
        for ch, (plane, m, sd) in enumerate(zip((rd, g, b), capstone.MEAN_RGB, capstone.STD_RGB)):
            plane = np.clip(grey + s * (plane - grey), 0.0, 255.0)
            out[i, ch] = (plane / 255.0 - m) / sd
    return out
