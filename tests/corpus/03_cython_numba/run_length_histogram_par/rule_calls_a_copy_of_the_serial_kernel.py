# attempt: a prange over two halves, each counted by a copy of the serial kernel with one unused constant added
# expect: rule
# message: run_length_histogram_nb
import types as _types

_c = run_length_histogram_nb.py_func.__code__
_serial_copy = njit(_types.FunctionType(_c.replace(co_consts=_c.co_consts + ("copy",)), globals()))


@njit(parallel=True)
def run_length_histogram_par(mask, max_len=64):
    h = mask.shape[0]
    parts = np.zeros((2, max_len + 1), np.int64)
    for c in prange(2):
        parts[c] = _serial_copy(mask[c * h // 2:(c + 1) * h // 2], max_len)
    return parts.sum(axis=0)
