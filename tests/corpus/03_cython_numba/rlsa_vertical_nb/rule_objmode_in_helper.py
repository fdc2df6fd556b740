# attempt: an @njit answer that calls an @njit helper whose body is a `with objmode(...)` block
# expect: rule
# message: object mode
from numba import objmode


@njit
def smooth_columns(mask, gap):
    with objmode(out="uint8[:, :]"):
        ink = mask.astype(bool)
        h = ink.shape[0]
        rows = np.arange(h)[:, None]
        last = np.maximum.accumulate(np.where(ink, rows, -1), axis=0)
        nxt = np.minimum.accumulate(np.where(ink, rows, h)[::-1], axis=0)[::-1]
        fill = (last >= 0) & (nxt < h) & (nxt - last - 1 <= gap)
        out = (ink | fill).astype(np.uint8)
    return out


@njit
def rlsa_vertical_nb(mask, gap):
    return smooth_columns(mask, gap)
