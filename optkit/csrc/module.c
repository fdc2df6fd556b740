/* module.c: the interface layer of optkit.native (raw Python/C API + buffer protocol).
 *
 * This file is what a C extension is made of: a method table, argument parsing with clear errors,
 * the buffer protocol, the GIL released around the work, OpenMP over the boxes, and fork safety.
 * The pixel work itself lives in warp_plain.c and warp_tuned.c; the memory lessons in
 * leak_lessons.c; what the files share in optkit_native.h.
 *
 * No pybind11, no NumPy C API: arrays reach C through the buffer protocol
 * (PyObject_GetBuffer / PyBuffer_Release), exactly the way a bytes object or a memoryview would.
 *
 *   build_info()                      -> dict: how this module was built (OpenMP on/off, threads,
 *                                        SIMD path of the tuned kernel, compiler).
 *   mean_u8(buf)                      -> float: mean of a C-contiguous uint8 buffer, GIL released.
 *   warp_crops(image, quads, size, *, threads=None, out=None, kernel="tuned")
 *                                     -> uint8 array N x h x w [x C]: one perspective crop per quad,
 *                                        the whole batch computed without the GIL, OpenMP over boxes
 *                                        (serial in a child made by fork(): see "Fork safety");
 *                                        kernel "plain" | "tuned" | "portable", identical bytes.
 *   crop_means(crops), crop_means_setitem(crops), crop_means_LEAKY_for_lesson(crops),
 *   leak_malloc_FOR_LESSON(nbytes)    -> see leak_lessons.c.
 *
 * How a new array is returned without the NumPy C API: we look up `numpy.empty` once (through the
 * ordinary Python API: PyImport_ImportModule + PyObject_GetAttrString, cached for the life of the
 * process), call it like Python code would, check what it returned exactly like a caller's `out`
 * (numpy.empty may have been replaced), and then write into it through the buffer protocol. The
 * result is a normal numpy.ndarray; no NumPy headers are needed to build this.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef OPTKIT_OPENMP
#include <omp.h>
#endif
#include <signal.h>
#if !defined(_WIN32)
#include <pthread.h>
#define OPTKIT_HAVE_ATFORK 1
#else
#define OPTKIT_HAVE_ATFORK 0
#endif

#include "optkit_native.h"

/* ------------------------------------------------------------------------------------------ */
/* build_info, mean_u8                                                                         */
/* ------------------------------------------------------------------------------------------ */

static PyObject *
build_info(PyObject *self, PyObject *Py_UNUSED(ignored))
{
#ifdef OPTKIT_OPENMP
    int openmp = 1;
    int max_threads = omp_get_max_threads();
#else
    int openmp = 0;
    int max_threads = 1;
#endif
    return Py_BuildValue("{s:O,s:i,s:s,s:s}", "openmp", openmp ? Py_True : Py_False,
                         "max_threads", max_threads,
                         "simd", optkit_tuned_simd(),
                         "compiler",
#if defined(__clang__)
                         "clang"
#elif defined(__GNUC__)
                         "gcc"
#elif defined(_MSC_VER)
                         "msvc"
#else
                         "unknown"
#endif
    );
}

static PyObject *
mean_u8(PyObject *self, PyObject *arg)
{
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0)
        return NULL;
    if (view.itemsize != 1 || (view.format && strcmp(view.format, "B") != 0)) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_TypeError, "mean_u8: expected a uint8 buffer");
        return NULL;
    }
    if (view.len == 0) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_ValueError, "mean_u8: empty buffer");
        return NULL;
    }
    const unsigned char *p = (const unsigned char *)view.buf;
    Py_ssize_t n = view.len;
    unsigned long long total = 0;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < n; i++)
        total += p[i];
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&view);
    return PyFloat_FromDouble((double)total / (double)n);
}

/* ------------------------------------------------------------------------------------------ */
/* Fork safety                                                                                 */
/* ------------------------------------------------------------------------------------------ */

/* libgomp (gcc's OpenMP runtime) is not fork-safe: once a parallel region has started its thread
 * pool, a child made by fork() (multiprocessing's default start method on Linux before Python
 * 3.14) inherits the pool's bookkeeping but not its threads, and its next parallel region waits
 * for them for ever. A pthread_atfork child handler marks the child; from then on warp_crops runs
 * serially there (no OpenMP region at all) and says so once with a RuntimeWarning. The handler
 * only stores a flag: that is all a fork handler may safely do. A child whose first import of
 * this module comes after the fork is marked by optkit/__init__.py's os.register_at_fork hook
 * (read in PyInit_native), so the parent only needs to have imported optkit (any submodule). */
static volatile sig_atomic_t forked_child = 0;
#ifdef OPTKIT_OPENMP
static int fork_warned = 0;        /* touched only with the GIL held */
#endif

#if OPTKIT_HAVE_ATFORK
static void
mark_forked_child(void)
{
    forked_child = 1;
}
#endif

/* Threads this call may use: `nthreads` (0 = OpenMP's default) unchanged, or 1 in a forked child,
 * warning once if the caller would have had more. -1 with an exception if the warning was turned
 * into an error. Called with the GIL held. */
static int
fork_safe_threads(int nthreads, Py_ssize_t n)
{
#ifdef OPTKIT_OPENMP
    if (!forked_child)
        return nthreads;
    const int want = nthreads > 0 ? nthreads : omp_get_max_threads();   /* reads settings only */
    if (want > 1 && n > 1 && !fork_warned) {
        fork_warned = 1;
        if (PyErr_WarnEx(PyExc_RuntimeWarning,
                         "warp_crops: this process was made by fork(), and OpenMP (libgomp) cannot "
                         "run threads in a forked child (it would wait for ever), so warp_crops runs "
                         "on one thread here. For parallel crops in worker processes use the "
                         "'forkserver' or 'spawn' start method "
                         "(multiprocessing.get_context('forkserver')).", 1) < 0)
            return -1;
    }
    return 1;
#else
    (void)n;
    return nthreads;
#endif
}

/* ------------------------------------------------------------------------------------------ */
/* Small helpers: buffer formats, numpy.empty through the Python API                          */
/* ------------------------------------------------------------------------------------------ */

/* True if the struct-module format string `fmt` describes one native item of type `code`. */
int
optkit_format_is(const char *fmt, char code)
{
    if (fmt == NULL)               /* no format given means unsigned bytes */
        return code == 'B';
    if (*fmt == '@' || *fmt == '=')
        fmt++;
#if PY_LITTLE_ENDIAN
    else if (*fmt == '<')
        fmt++;
#else
    else if (*fmt == '>' || *fmt == '!')
        fmt++;
#endif
    return fmt[0] == code && fmt[1] == '\0';
}

/* Get a buffer view of `obj` (strides + format, so we can say what is wrong), writable if asked.
 * On failure: a Python exception naming `name`, and nothing to release. */
static int
get_view(PyObject *obj, Py_buffer *view, int writable, const char *name)
{
    int flags = PyBUF_RECORDS_RO | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(obj, view, flags) == 0)
        return 0;
    if (!PyObject_CheckBuffer(obj)) {            /* no buffer protocol at all */
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError,
                     "warp_crops: %s must be a numpy array (an object with the buffer protocol), got %.100s",
                     name, Py_TYPE(obj)->tp_name);
        return -1;
    }
    if (writable) {                              /* read-only? then say so */
        PyObject *type, *value, *tb;
        PyErr_Fetch(&type, &value, &tb);
        if (PyObject_GetBuffer(obj, view, PyBUF_RECORDS_RO) == 0) {
            PyBuffer_Release(view);
            Py_XDECREF(type); Py_XDECREF(value); Py_XDECREF(tb);
            PyErr_Format(PyExc_ValueError,
                         "warp_crops: %s is read-only; pass a writable uint8 array", name);
            return -1;
        }
        PyErr_Clear();
        PyErr_Restore(type, value, tb);
    }
    return -1;                                   /* the exporter's own error, kept as it is */
}

/* numpy.empty, looked up once. A strong reference kept for the life of the process (the module
 * cannot be unloaded anyway); only touched while holding the GIL. */
static PyObject *np_empty = NULL;

static PyObject *
new_u8_array(const Py_ssize_t *shape, int ndim)
{
    if (np_empty == NULL) {
        PyObject *np = PyImport_ImportModule("numpy");
        if (np == NULL)
            return NULL;
        np_empty = PyObject_GetAttrString(np, "empty");
        Py_DECREF(np);
        if (np_empty == NULL)
            return NULL;
    }
    PyObject *shp = PyTuple_New(ndim);
    if (shp == NULL)
        return NULL;
    for (int i = 0; i < ndim; i++) {
        PyObject *v = PyLong_FromSsize_t(shape[i]);
        if (v == NULL) {
            Py_DECREF(shp);
            return NULL;
        }
        PyTuple_SET_ITEM(shp, i, v);   /* steals v: no DECREF */
    }
    PyObject *arr = PyObject_CallFunction(np_empty, "Os", shp, "uint8");
    Py_DECREF(shp);
    return arr;
}

/* Check the buffer we are about to fill (the caller's `out`, or what numpy.empty returned):
 * uint8, exactly `shape`, C-contiguous, exactly `total` bytes, not overlapping the image.
 * -1 with an exception naming `name`; the caller still releases the view. */
static int
check_out(const Py_buffer *ov, const Py_ssize_t *shape, int out_ndim, Py_ssize_t total,
          const Py_buffer *img, const char *name)
{
    if (ov->itemsize != 1 || !optkit_format_is(ov->format, 'B')) {
        PyErr_Format(PyExc_TypeError, "warp_crops: %s must be uint8, got buffer format '%s'",
                     name, ov->format ? ov->format : "B");
        return -1;
    }
    int shape_ok = ov->ndim == out_ndim && ov->shape != NULL;
    for (int k = 0; shape_ok && k < out_ndim; k++)
        shape_ok = ov->shape[k] == shape[k];
    if (!shape_ok) {
        if (out_ndim == 4)
            PyErr_Format(PyExc_ValueError, "warp_crops: %s must have shape (%zd, %zd, %zd, %zd)",
                         name, shape[0], shape[1], shape[2], shape[3]);
        else
            PyErr_Format(PyExc_ValueError, "warp_crops: %s must have shape (%zd, %zd, %zd)",
                         name, shape[0], shape[1], shape[2]);
        return -1;
    }
    if (!PyBuffer_IsContiguous(ov, 'C')) {
        PyErr_Format(PyExc_ValueError, "warp_crops: %s must be C-contiguous", name);
        return -1;
    }
    /* The shape says `total` bytes; the buffer must really hold that many (an exporter can lie). */
    if (ov->len != total || (total > 0 && ov->buf == NULL)) {
        PyErr_Format(PyExc_ValueError, "warp_crops: %s holds %zd bytes, expected %zd",
                     name, ov->len, total);
        return -1;
    }
    /* Writing into the image we read from would give garbage: refuse overlapping memory. */
    const char *o0 = (const char *)ov->buf, *i0 = (const char *)img->buf;
    if (total > 0 && o0 < i0 + img->len && i0 < o0 + total) {
        PyErr_Format(PyExc_ValueError, "warp_crops: %s must not share memory with image", name);
        return -1;
    }
    return 0;
}

/* Parse a Python int into a long long with a message naming `what`. */
static int
as_ll(PyObject *o, long long *v, const char *what)
{
    PyObject *idx = PyNumber_Index(o);
    if (idx == NULL) {
        PyErr_Format(PyExc_TypeError, "warp_crops: %s must be an integer, got %.100s",
                     what, Py_TYPE(o)->tp_name);
        return -1;
    }
    int overflow = 0;
    *v = PyLong_AsLongLongAndOverflow(idx, &overflow);
    Py_DECREF(idx);
    if (*v == -1 && PyErr_Occurred())
        return -1;
    if (overflow)
        *v = overflow > 0 ? LLONG_MAX : LLONG_MIN;
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* The batch: OpenMP over the boxes                                                            */
/* ------------------------------------------------------------------------------------------ */

/* The whole batch. Called WITHOUT the GIL: it touches no Python object, only plain C memory. */
/* fn is the kernel for one box (warp_plain.c or warp_tuned.c): the batch does not care which. */
static void
warp_batch(optkit_box_fn fn, const uint8_t *src, int H, int W, int C, const double *Ms, Py_ssize_t n,
           int oh, int ow, uint8_t *dst, int nthreads)
{
    const size_t box_bytes = (size_t)oh * ow * C;
#ifdef OPTKIT_OPENMP
    /* threads=None (nthreads == 0): the OpenMP default (OMP_NUM_THREADS or all usable cores). */
    int nt = nthreads > 0 ? nthreads : omp_get_max_threads();
    if ((Py_ssize_t)nt > n)
        nt = (int)n;                     /* never more threads than boxes */
    if (nt <= 1) {                       /* one thread: no OpenMP region (safe after fork) */
        for (Py_ssize_t i = 0; i < n; i++)
            fn(src, H, W, C, Ms + 9 * i, oh, ow, dst + (size_t)i * box_bytes);
        return;
    }
    /* Boxes differ in cost (how much of a crop falls outside the image), so hand them out
     * dynamically; each box is tens of microseconds of work, so the scheduling cost is noise. */
    #pragma omp parallel for schedule(dynamic, 2) num_threads(nt)
    for (Py_ssize_t i = 0; i < n; i++)
        fn(src, H, W, C, Ms + 9 * i, oh, ow, dst + (size_t)i * box_bytes);
#else
    (void)nthreads;                      /* built without OpenMP: serial, whatever `threads` says */
    for (Py_ssize_t i = 0; i < n; i++)
        fn(src, H, W, C, Ms + 9 * i, oh, ow, dst + (size_t)i * box_bytes);
#endif
}


/* ------------------------------------------------------------------------------------------ */
/* warp_crops: the Python-facing function (argument checks, buffers, GIL)                      */
/* ------------------------------------------------------------------------------------------ */

PyDoc_STRVAR(warp_crops_doc,
"warp_crops(image, quads, size, *, threads=None, out=None, kernel='tuned') -> numpy.ndarray\n\n"
"Perspective-crop every quad of `image` to an upright h x w patch, in C, without the GIL.\n\n"
"image   uint8 array H x W or H x W x C (C in 1, 3, 4), C-contiguous.\n"
"quads   float32 or float64 array N x 4 x 2: source corners TL, TR, BR, BL as (x, y).\n"
"size    (h, w), both >= 2.\n"
"threads None: the OpenMP default (OMP_NUM_THREADS, else all usable cores); 0 means the same;\n"
"        k >= 1: k threads (capped at the number of boxes). Ignored (serial) if built without OpenMP,\n"
"        and in a child process made by fork() (OpenMP cannot run there; one RuntimeWarning says so).\n"
"out     optional writable, C-contiguous uint8 array N x h x w [x C] to fill (returned).\n"
"kernel  'tuned' (warp_tuned.c: SIMD, AVX2 where the CPU has it), 'portable' (the same tuned kernel\n"
"        without AVX2) or 'plain' (warp_plain.c: plain scalar C). All three give identical bytes.\n\n"
"Same result as cv2.warpPerspective(image, cv2.getPerspectiveTransform(quad, dst), (w, h),\n"
"flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT), dst = [[0,0],[w-1,0],[w-1,h-1],[0,h-1]].\n"
"Raises TypeError / ValueError naming the bad argument, MemoryError if the result cannot be allocated.");

static PyObject *
warp_crops(PyObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"image", "quads", "size", "threads", "out", "kernel", NULL};
    PyObject *image_o, *quads_o, *size_o, *threads_o = Py_None, *out_o = Py_None;
    const char *kernel = "tuned";
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOO|$OOs:warp_crops", kwlist,
                                     &image_o, &quads_o, &size_o, &threads_o, &out_o, &kernel))
        return NULL;
    /* --- kernel --- */
    const int plain = strcmp(kernel, "plain") == 0, portable = strcmp(kernel, "portable") == 0;
    if (!plain && !portable && strcmp(kernel, "tuned") != 0) {
        PyErr_Format(PyExc_ValueError,
                     "warp_crops: kernel must be 'tuned', 'portable' or 'plain', got '%.50s'", kernel);
        return NULL;
    }

    Py_buffer img, qv, ov;
    int have_img = 0, have_q = 0, have_out = 0;
    PyObject *result = NULL;     /* the array we return (a new reference) */
    double *Ms = NULL;
    int ok = 0;

    /* --- size --- */
    long long oh, ow;
    if (!PyTuple_Check(size_o) && !PyList_Check(size_o)) {
        PyErr_Format(PyExc_TypeError, "warp_crops: size must be a tuple (h, w), got %.100s",
                     Py_TYPE(size_o)->tp_name);
        return NULL;
    }
    if (PySequence_Size(size_o) != 2) {
        PyErr_SetString(PyExc_ValueError, "warp_crops: size must be a pair (h, w)");
        return NULL;
    }
    {
        PyObject *a = PySequence_GetItem(size_o, 0);
        if (a == NULL)
            return NULL;
        int r = as_ll(a, &oh, "size[0] (h)");
        Py_DECREF(a);
        if (r < 0)
            return NULL;
        PyObject *b = PySequence_GetItem(size_o, 1);
        if (b == NULL)
            return NULL;
        r = as_ll(b, &ow, "size[1] (w)");
        Py_DECREF(b);
        if (r < 0)
            return NULL;
    }
    if (oh < 2 || ow < 2) {
        PyErr_Format(PyExc_ValueError,
                     "warp_crops: size must be (h, w) with h >= 2 and w >= 2, got (%lld, %lld)", oh, ow);
        return NULL;
    }
    if (oh > OPTKIT_MAX_SIDE || ow > OPTKIT_MAX_SIDE) {
        PyErr_Format(PyExc_ValueError,
                     "warp_crops: size (%lld, %lld) is too large (each side at most %d)",
                     oh, ow, OPTKIT_MAX_SIDE);
        return NULL;
    }

    /* --- threads --- */
    int nthreads = 0;
    if (threads_o != Py_None) {
        long long t;
        if (as_ll(threads_o, &t, "threads") < 0)
            return NULL;
        if (t < 0) {
            PyErr_Format(PyExc_ValueError,
                         "warp_crops: threads must be None or >= 0, got %lld", t);
            return NULL;
        }
        nthreads = t > OPTKIT_MAX_THREADS ? OPTKIT_MAX_THREADS : (int)t;
    }

    /* --- image --- */
    if (get_view(image_o, &img, 0, "image") < 0)
        goto done;
    have_img = 1;
    if (img.itemsize != 1 || !optkit_format_is(img.format, 'B')) {
        PyErr_Format(PyExc_TypeError, "warp_crops: image must be uint8, got buffer format '%s'",
                     img.format ? img.format : "B");
        goto done;
    }
    if (img.ndim != 2 && img.ndim != 3) {
        PyErr_Format(PyExc_ValueError,
                     "warp_crops: image must have 2 (H x W) or 3 (H x W x C) dimensions, got %d", img.ndim);
        goto done;
    }
    const Py_ssize_t H = img.shape[0], W = img.shape[1], C = img.ndim == 3 ? img.shape[2] : 1;
    if (C != 1 && C != 3 && C != 4) {
        PyErr_Format(PyExc_ValueError, "warp_crops: image must have 1, 3 or 4 channels, got %zd", C);
        goto done;
    }
    if (H < 1 || W < 1) {
        PyErr_Format(PyExc_ValueError, "warp_crops: image is empty (%zd x %zd)", H, W);
        goto done;
    }
    if (H > OPTKIT_MAX_SIDE || W > OPTKIT_MAX_SIDE) {
        PyErr_Format(PyExc_ValueError, "warp_crops: image is too large (%zd x %zd)", H, W);
        goto done;
    }
    if (!PyBuffer_IsContiguous(&img, 'C')) {
        PyErr_SetString(PyExc_ValueError,
                        "warp_crops: image must be C-contiguous; pass np.ascontiguousarray(image)");
        goto done;
    }

    /* --- quads --- */
    if (get_view(quads_o, &qv, 0, "quads") < 0)
        goto done;
    have_q = 1;
    const int q64 = qv.itemsize == 8 && optkit_format_is(qv.format, 'd');
    const int q32 = qv.itemsize == 4 && optkit_format_is(qv.format, 'f');
    if (!q64 && !q32) {
        PyErr_Format(PyExc_TypeError,
                     "warp_crops: quads must be float32 or float64, got buffer format '%s'",
                     qv.format ? qv.format : "B");
        goto done;
    }
    if (qv.ndim != 3 || qv.shape[1] != 4 || qv.shape[2] != 2) {
        PyErr_SetString(PyExc_ValueError, "warp_crops: quads must have shape (N, 4, 2)");
        goto done;
    }
    if (!PyBuffer_IsContiguous(&qv, 'C')) {
        PyErr_SetString(PyExc_ValueError,
                        "warp_crops: quads must be C-contiguous; pass np.ascontiguousarray(quads)");
        goto done;
    }
    const Py_ssize_t n = qv.shape[0];

    /* --- byte counts, overflow-safe: check each product against the limit before forming it --- */
    Py_ssize_t box_bytes, total;
    if ((Py_ssize_t)oh > PY_SSIZE_T_MAX / (Py_ssize_t)ow ||
        (Py_ssize_t)(oh * ow) > PY_SSIZE_T_MAX / C) {
        PyErr_SetString(PyExc_ValueError, "warp_crops: size is so large that one crop's byte count overflows");
        goto done;
    }
    box_bytes = (Py_ssize_t)(oh * ow) * C;
    if (n > 0 && box_bytes > PY_SSIZE_T_MAX / n) {
        PyErr_Format(PyExc_ValueError,
                     "warp_crops: %zd crops of size (%lld, %lld) overflow the byte count", n, oh, ow);
        goto done;
    }
    total = box_bytes * n;

    /* --- in a child made by fork(): one thread, no OpenMP region (see fork_safe_threads) --- */
    nthreads = fork_safe_threads(nthreads, n);
    if (nthreads < 0)
        goto done;

    /* --- homographies: computed (and degenerate quads rejected) while we still hold the GIL --- */
    Ms = (double *)PyMem_Malloc(sizeof(double) * 9 * (size_t)(n > 0 ? n : 1));
    if (Ms == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        double q[8];
        for (int k = 0; k < 8; k++)
            q[k] = q64 ? ((const double *)qv.buf)[8 * i + k] : (double)((const float *)qv.buf)[8 * i + k];
        if (optkit_rect_to_quad(q, (int)ow, (int)oh, Ms + 9 * i) < 0) {
            /* PyErr_Format has no %g: format the corners with snprintf first. */
            char corners[256];
            snprintf(corners, sizeof corners, "((%g, %g), (%g, %g), (%g, %g), (%g, %g))",
                     q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7]);
            PyErr_Format(PyExc_ValueError,
                         "warp_crops: quads[%zd] is degenerate or not finite (three corners collinear, "
                         "or NaN/inf): %s", i, corners);
            goto done;
        }
    }

    /* --- out: given, or a fresh numpy array --- */
    Py_ssize_t shape[4] = {n, (Py_ssize_t)oh, (Py_ssize_t)ow, C};
    const int out_ndim = img.ndim == 3 ? 4 : 3;
    if (out_o != Py_None) {
        if (get_view(out_o, &ov, 1, "out") < 0)
            goto done;
        have_out = 1;
        if (check_out(&ov, shape, out_ndim, total, &img, "out") < 0)
            goto done;
        Py_INCREF(out_o);
        result = out_o;
    } else {
        result = new_u8_array(shape, out_ndim);
        if (result == NULL)
            goto done;           /* numpy raised (MemoryError for an impossible allocation) */
        /* Trust nothing: numpy.empty may have been replaced (by a learner, a monkeypatch), so the
         * array it gave is checked exactly like a caller's `out` before a single byte is written. */
        if (get_view(result, &ov, 1, "the array numpy.empty returned") < 0)
            goto done;
        have_out = 1;
        if (check_out(&ov, shape, out_ndim, total, &img, "the array numpy.empty returned") < 0)
            goto done;
    }

    /* --- the work: no Python object is touched from here to Py_END_ALLOW_THREADS --- */
    if (n > 0) {
        const uint8_t *src = (const uint8_t *)img.buf;
        uint8_t *dst = (uint8_t *)ov.buf;
        const optkit_box_fn fn = plain ? optkit_warp_box_plain
                                       : optkit_tuned_kernel((int)C, portable, (long long)H * W * C);
        Py_BEGIN_ALLOW_THREADS
        warp_batch(fn, src, (int)H, (int)W, (int)C, Ms, n, (int)oh, (int)ow, dst, nthreads);
        Py_END_ALLOW_THREADS
    }
    ok = 1;

done:
    /* Every path ends here: release exactly the buffers we got. */
    if (have_out)
        PyBuffer_Release(&ov);
    if (have_q)
        PyBuffer_Release(&qv);
    if (have_img)
        PyBuffer_Release(&img);
    PyMem_Free(Ms);
    if (!ok) {
        Py_XDECREF(result);
        return NULL;
    }
    return result;
}

/* ------------------------------------------------------------------------------------------ */
/* Module                                                                                      */
/* ------------------------------------------------------------------------------------------ */

static PyMethodDef native_methods[] = {
    {"build_info", build_info, METH_NOARGS,
     "How this module was built: {'openmp': bool, 'max_threads': int, 'simd': 'avx2' | 'sse2' | "
     "'none', 'compiler': str}."},
    {"mean_u8", mean_u8, METH_O, "Mean of a C-contiguous uint8 buffer (GIL released while summing)."},
    {"warp_crops", (PyCFunction)(void (*)(void))warp_crops, METH_VARARGS | METH_KEYWORDS, warp_crops_doc},
    {"crop_means", optkit_crop_means, METH_O,
     "Per-crop mean intensity of a uint8 array (N, ...) as a list; filled with PyList_SET_ITEM."},
    {"crop_means_setitem", optkit_crop_means_setitem, METH_O,
     "Same as crop_means, filled with PyList_SetItem (checked; steals the reference)."},
    {"crop_means_LEAKY_for_lesson", optkit_crop_means_LEAKY_for_lesson, METH_O,
     "DELIBERATELY LEAKY version of crop_means (PyList_Append without Py_DECREF): leaks one float per "
     "element per call. For the reference-counting lesson only."},
    {"leak_malloc_FOR_LESSON", optkit_leak_malloc_FOR_LESSON, METH_O,
     "DELIBERATELY LEAKY: leak_malloc_FOR_LESSON(nbytes) mallocs nbytes in C, writes them and never "
     "frees them (tracemalloc cannot see it; memray with native traces can). For notebook 04 only."},
    {NULL, NULL, 0, NULL}
};

static struct PyModuleDef native_module = {
    PyModuleDef_HEAD_INIT, "optkit.native", "optkit's C extension (sources: optkit/csrc/).", -1, native_methods, NULL, NULL, NULL, NULL
};

PyMODINIT_FUNC
PyInit_native(void)
{
    /* OPTKIT_NO_AVX2=1 forces the portable path of the tuned kernel for the whole process
     * (kernel='portable' does it for one call; the tests compare all of them). */
    const char *no = getenv("OPTKIT_NO_AVX2");
    optkit_tuned_init(!(no != NULL && no[0] != '\0' && strcmp(no, "0") != 0));
#if OPTKIT_HAVE_ATFORK
    static int atfork_done = 0;
    if (!atfork_done) {
        if (pthread_atfork(NULL, NULL, mark_forked_child) != 0) {
            PyErr_SetString(PyExc_ImportError, "optkit.native: pthread_atfork failed");
            return NULL;
        }
        atfork_done = 1;
    }
#endif
    /* A child made by fork() before this module was first imported: the package's
     * os.register_at_fork hook (optkit/__init__.py) marked it. */
    {
        PyObject *pkg = PyImport_ImportModule("optkit");
        PyObject *res = pkg ? PyObject_CallMethod(pkg, "forked_child", NULL) : NULL;
        Py_XDECREF(pkg);
        if (res == NULL)
            return NULL;
        int truth = PyObject_IsTrue(res);
        Py_DECREF(res);
        if (truth < 0)
            return NULL;
        if (truth)
            forked_child = 1;
    }
    return PyModule_Create(&native_module);
}

