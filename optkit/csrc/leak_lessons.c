/* leak_lessons.c: memory that is never given back, taught with real code.
 *
 * Notebook 04 shows this file whole. Two kinds of leak:
 *
 *  1. A REFERENCE leak (Python objects): crop_means and crop_means_setitem build a list of
 *     per-crop means correctly, in two ways; crop_means_LEAKY_for_lesson builds the same list and
 *     forgets one Py_DECREF per element. Python's allocator made those floats, so tracemalloc
 *     sees them pile up.
 *  2. A C MALLOC leak: leak_malloc_FOR_LESSON(nbytes) asks the C library for nbytes, writes to
 *     them and never frees them. Python's allocator is not involved, so tracemalloc sees nothing;
 *     a native memory profiler (memray with native traces) catches it, with the C stack.
 *
 * Both leaking functions are wrong ON PURPOSE and named so that nobody calls them by accident.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "optkit_native.h"

/* ------------------------------------------------------------------------------------------ */
/* 1. Reference counting: per-crop mean intensity as a Python list                             */
/* ------------------------------------------------------------------------------------------ */


/* Per-crop means of a uint8 array N x ... (any trailing shape), computed without the GIL.
 * Returns a PyMem buffer of N doubles (caller frees), or NULL with an exception set.
 * *n_out receives N (which may be 0). */
static double *
per_crop_means(PyObject *crops, Py_ssize_t *n_out, const char *fname)
{
    Py_buffer v;
    if (PyObject_GetBuffer(crops, &v, PyBUF_RECORDS_RO) < 0) {
        if (!PyObject_CheckBuffer(crops)) {      /* no buffer protocol: say what is expected */
            PyErr_Clear();
            PyErr_Format(PyExc_TypeError, "%s: crops must be a numpy array, got %.100s",
                         fname, Py_TYPE(crops)->tp_name);
        }                                        /* else the exporter's own error, kept */
        return NULL;
    }
    if (v.itemsize != 1 || !optkit_format_is(v.format, 'B') || v.ndim < 1 || !PyBuffer_IsContiguous(&v, 'C')) {
        PyBuffer_Release(&v);
        PyErr_Format(PyExc_ValueError,
                     "%s: crops must be a C-contiguous uint8 array of shape (N, ...)", fname);
        return NULL;
    }
    const Py_ssize_t n = v.shape[0];
    const Py_ssize_t per = n > 0 ? v.len / n : 0;
    if (n > 0 && per == 0) {                     /* e.g. shape (3, 0): a mean of nothing */
        PyBuffer_Release(&v);
        PyErr_Format(PyExc_ValueError, "%s: every crop is empty (no pixels), so it has no mean", fname);
        return NULL;
    }
    double *means = (double *)PyMem_Malloc(sizeof(double) * (size_t)(n > 0 ? n : 1));
    if (means == NULL) {
        PyBuffer_Release(&v);
        PyErr_NoMemory();
        return NULL;
    }
    const uint8_t *p = (const uint8_t *)v.buf;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < n; i++) {
        uint64_t s = 0;
        const uint8_t *b = p + (size_t)i * per;
        for (Py_ssize_t k = 0; k < per; k++)
            s += b[k];
        means[i] = per > 0 ? (double)s / (double)per : 0.0;
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&v);
    *n_out = n;
    return means;
}

/* Correct, version 1: PyList_SET_ITEM on a FRESH list.
 * PyList_New(n) makes a list of n NULL slots. PyList_SET_ITEM is a macro that just stores the
 * pointer: it "steals" our reference to f (the list now owns it), so we must NOT Py_DECREF(f).
 * It does no error checking and does not release what was in the slot, which is why it is only
 * for filling a fresh list. */
PyObject *
optkit_crop_means(PyObject *self, PyObject *crops)
{
    Py_ssize_t n;
    double *m = per_crop_means(crops, &n, "crop_means");
    if (m == NULL)
        return NULL;
    PyObject *list = PyList_New(n);
    if (list == NULL) {
        PyMem_Free(m);
        return NULL;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *f = PyFloat_FromDouble(m[i]);   /* new reference: we own it */
        if (f == NULL) {
            Py_DECREF(list);                      /* frees the list and the items set so far */
            PyMem_Free(m);
            return NULL;
        }
        PyList_SET_ITEM(list, i, f);              /* the list takes our reference: no DECREF */
    }
    PyMem_Free(m);
    return list;
}

/* Correct, version 2: PyList_SetItem, the checked function.
 * It also steals the reference to f, even when it fails (then it DECREFs f itself), and it
 * releases whatever was in the slot before. It returns -1 (with an exception) on a bad index. */
PyObject *
optkit_crop_means_setitem(PyObject *self, PyObject *crops)
{
    Py_ssize_t n;
    double *m = per_crop_means(crops, &n, "crop_means_setitem");
    if (m == NULL)
        return NULL;
    PyObject *list = PyList_New(n);
    if (list == NULL) {
        PyMem_Free(m);
        return NULL;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *f = PyFloat_FromDouble(m[i]);
        if (f == NULL || PyList_SetItem(list, i, f) < 0) {   /* SetItem consumed f either way */
            Py_DECREF(list);
            PyMem_Free(m);
            return NULL;
        }
    }
    PyMem_Free(m);
    return list;
}

/* WRONG ON PURPOSE, kept for the lesson in notebook 04. Do not copy.
 * The bug: PyList_Append does NOT steal a reference (unlike PyList_SET_ITEM / PyList_SetItem):
 * it takes its own new reference to f. Code written as if Append stole (the SET_ITEM habit) never
 * releases the reference that PyFloat_FromDouble gave us. Every float therefore ends with
 * refcount 2 while only the list holds it: when the list dies the count drops to 1, never to 0,
 * and the float is never freed. One leaked object per element, per call.
 * Symptoms the notebook and tests/test_native.py measure: sys.getrefcount(result[0]) is one higher
 * than for crop_means, tracemalloc sees memory that is never released, and the process RSS grows.
 * The fix is one line: Py_DECREF(f) after a successful PyList_Append (or use PyList_SET_ITEM). */
PyObject *
optkit_crop_means_LEAKY_for_lesson(PyObject *self, PyObject *crops)
{
    Py_ssize_t n;
    double *m = per_crop_means(crops, &n, "crop_means_LEAKY_for_lesson");
    if (m == NULL)
        return NULL;
    PyObject *list = PyList_New(0);
    if (list == NULL) {
        PyMem_Free(m);
        return NULL;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *f = PyFloat_FromDouble(m[i]);
        if (f == NULL || PyList_Append(list, f) < 0) {
            Py_XDECREF(f);
            Py_DECREF(list);
            PyMem_Free(m);
            return NULL;
        }
        /* BUG (deliberate): missing Py_DECREF(f) here. */
    }
    PyMem_Free(m);
    return list;
}

/* ------------------------------------------------------------------------------------------ */
/* 2. A C malloc leak                                                                           */
/* ------------------------------------------------------------------------------------------ */

/* The most a single call may leak: a typo must not take the machine's memory. */
#define OPTKIT_MAX_LEAK ((Py_ssize_t)1 << 30)

/* The last block leaked, so that the compiler cannot prove the malloc useless and drop it. */
static void *volatile last_leaked_block = NULL;

/* A separate function (never inlined), so that a native stack trace names it. */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((noinline))
#endif
static void *
malloc_and_forget(size_t nbytes)
{
    void *p = malloc(nbytes);
    if (p != NULL)
        memset(p, 0xA5, nbytes);   /* touch every page: the memory is really in use (RSS) */
    return p;
}

/* WRONG ON PURPOSE, for notebook 04. Do not copy.
 * leak_malloc_FOR_LESSON(nbytes) -> None: mallocs nbytes, writes them, and never frees them.
 * The bug: nobody keeps the pointer to give it back with free(). */
PyObject *
optkit_leak_malloc_FOR_LESSON(PyObject *self, PyObject *arg)
{
    const Py_ssize_t n = PyNumber_AsSsize_t(arg, PyExc_OverflowError);
    if (n == -1 && PyErr_Occurred()) {
        if (PyErr_ExceptionMatches(PyExc_OverflowError)) {     /* say who refused it */
            PyErr_Clear();
            PyErr_Format(PyExc_OverflowError,
                         "leak_malloc_FOR_LESSON: nbytes must be between 1 and %zd; that number "
                         "does not even fit in a C size", OPTKIT_MAX_LEAK);
        }
        return NULL;
    }
    if (n < 1 || n > OPTKIT_MAX_LEAK) {
        PyErr_Format(PyExc_ValueError,
                     "leak_malloc_FOR_LESSON: nbytes must be between 1 and %zd, got %zd",
                     OPTKIT_MAX_LEAK, n);
        return NULL;
    }
    void *p = malloc_and_forget((size_t)n);
    if (p == NULL)
        return PyErr_NoMemory();
    last_leaked_block = p;         /* BUG (deliberate): no free(p), ever */
    Py_RETURN_NONE;
}
