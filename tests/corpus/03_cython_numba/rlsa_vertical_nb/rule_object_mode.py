# attempt: a NumPy version of one's own under @jit(forceobj=True): object mode runs Python code
# expect: rule
# message: object mode
from numba import jit


@jit(forceobj=True)
def rlsa_vertical_nb(mask, gap):
    ink = mask.astype(bool)
    h = ink.shape[0]
    rows = np.arange(h)[:, None]
    last = np.maximum.accumulate(np.where(ink, rows, -1), axis=0)
    nxt = np.minimum.accumulate(np.where(ink, rows, h)[::-1], axis=0)[::-1]
    fill = (last >= 0) & (nxt < h) & (nxt - last - 1 <= gap)
    return (ink | fill).astype(mask.dtype)
