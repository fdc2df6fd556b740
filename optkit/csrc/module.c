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
 *   warp_crops(image, quads, size, *, threads=None, out=None, kernel="tuned", max_bytes=None)
 *                                     -> uint8 array N x h x w [x C]: one perspective crop per quad,
 *                                        the whole batch computed without the GIL, OpenMP over boxes
 *                                        (serial in a child forked after a parallel call, and
 *                                        in its children: see "Fork safety");
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
#include <ctype.h>
#ifdef OPTKIT_OPENMP
#include <omp.h>
#endif
#include <signal.h>
#if !defined(_WIN32)
#include <pthread.h>
#include <unistd.h>
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
    if (PyObject_GetBuffer(arg, &view, PyBUF_RECORDS_RO) < 0) {
        if (!PyObject_CheckBuffer(arg)) {
            PyErr_Clear();
            PyErr_Format(PyExc_TypeError,
                         "mean_u8: expected a uint8 buffer (e.g. a numpy array), got %.100s",
                         Py_TYPE(arg)->tp_name);
        }
        return NULL;
    }
    if (!PyBuffer_IsContiguous(&view, 'C')) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_ValueError,
                        "mean_u8: the buffer must be C-contiguous; pass np.ascontiguousarray(a)");
        return NULL;
    }
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
 * 3.14) inherits the pool's bookkeeping, and any lock one of its threads held at that moment, but
 * not the threads themselves. Every parallel region of this module runs on a worker pthread that
 * this module made in the very process that uses it (see "The OpenMP region runs on a thread this
 * module owns" below), so a child whose parent never made one of those workers starts a fresh pool
 * of its own and runs in parallel safely (the tests fork a parent that ran numba's OpenMP threads).
 *
 * A precaution on top: one of the parent's own workers may have been mid-batch at the fork, holding
 * a lock of libgomp's, and libgomp's process-wide state is not documented as safe after fork, so
 * the module does not rely on it in a child of a process that ran its region.
 * The rule: a child is MARKED iff, at the fork, its parent had made one of this module's workers
 * (it had run warp_crops on more than one thread) or was marked itself. A marked process runs
 * warp_crops serially (no OpenMP region at all) and says so once with a RuntimeWarning; a marked
 * child's own child is marked and warns again (it is a new process). The pthread_atfork child
 * handler (pool_child) decides it before it forgets the parent's workers, and only stores flags:
 * that is all a fork handler may safely do. So a process whose first import of this module comes
 * after the fork is never marked (its parent cannot have run this module's region), and neither
 * is a forkserver or spawn worker: a forkserver's server imports modules (perhaps this one) but
 * runs no crops. Built without OpenMP, or where there is no pthread_atfork, nothing is marked:
 * without OpenMP every call is serial anyway. */
#if defined(OPTKIT_OPENMP) && OPTKIT_HAVE_ATFORK
static volatile sig_atomic_t forked_child = 0;   /* this process is marked */
static int fork_warned = 0;        /* touched with the GIL held, and by the fork child handler */
#endif

/* Threads this call may use: `nthreads` (0 = OpenMP's default) unchanged, or 1 in a marked
 * process, warning once if the caller would have had more. -1 with an exception if the warning was
 * turned into an error. Called with the GIL held. */
static int
fork_safe_threads(int nthreads, Py_ssize_t n)
{
#if defined(OPTKIT_OPENMP) && OPTKIT_HAVE_ATFORK
    if (!forked_child)
        return nthreads;
    const int want = nthreads > 0 ? nthreads : omp_get_max_threads();   /* reads settings only */
    if (want > 1 && n > 1 && !fork_warned) {
        fork_warned = 1;
        if (PyErr_WarnEx(PyExc_RuntimeWarning,
                         "warp_crops: this process was made by fork() from a process that had "
                         "already run warp_crops on several threads (or was such a child itself); "
                         "libgomp's state after fork() is not documented as safe (one of the parent's "
                         "OpenMP threads may have held a lock), so as a precaution warp_crops runs on "
                         "one thread here. For parallel crops in worker "
                         "processes, start them before the first parallel warp_crops, or use the "
                         "'forkserver' or 'spawn' start method "
                         "(multiprocessing.get_context('forkserver')): their workers start from a "
                         "process that ran no crops.", 1) < 0)
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

/* Parse a Python int into a long long with a message naming `what`. A bool is refused (True is
 * not a count). An int beyond long long leaves *v at LLONG_MAX / LLONG_MIN and *overflow at +1 / -1
 * (else 0), so the caller can say "too large" / "too small" without showing a number that was
 * never passed. */
static int
as_ll(PyObject *o, long long *v, int *overflow, const char *what)
{
    PyObject *idx = PyBool_Check(o) ? NULL : PyNumber_Index(o);
    if (idx == NULL) {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError, "warp_crops: %s must be an integer, got %.100s",
                     what, Py_TYPE(o)->tp_name);
        return -1;
    }
    *overflow = 0;
    *v = PyLong_AsLongLongAndOverflow(idx, overflow);
    Py_DECREF(idx);
    if (*v == -1 && PyErr_Occurred())
        return -1;
    if (*overflow)
        *v = *overflow > 0 ? LLONG_MAX : LLONG_MIN;
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* The batch: OpenMP over the boxes                                                            */
/* ------------------------------------------------------------------------------------------ */

/* ------------------------------------------------------------------------------------------ */
/* The OpenMP region runs on a thread this module owns                                         */
/* ------------------------------------------------------------------------------------------ */

/* libgomp keeps its thread pool with the thread that started the region (the "master"). If the
 * process was forked after ANY OpenMP region ran on the calling thread (PyTorch, numba's omp
 * layer, any library linked with libgomp; perhaps before optkit was ever imported), a region
 * started from that thread in the child waits for ever for the pool's lost threads. A pthread made
 * in the child has no pool yet, so its region starts a fresh one. So every parallel batch runs on
 * one of a few worker pthreads owned by this module, each made by the process that uses it: the
 * pthread_atfork child handler forgets the parent's workers (they do not exist in the child; if
 * there were any, the child is marked and stays serial, see "Fork safety"), and a worker whose
 * creator pid differs from getpid() is never used. This is why a fork after OpenMP regions that
 * are not this module's leaves the child parallel. The
 * workers are persistent (made once per process, then reused), so libgomp's pool stays warm
 * between calls. Up to OPTKIT_MAX_WORKERS calls from different Python threads can run at once;
 * more wait. */
#if defined(OPTKIT_OPENMP) && OPTKIT_HAVE_ATFORK
#define OPTKIT_USE_WORKERS 1
#define OPTKIT_MAX_WORKERS 8

typedef struct {
    /* the job */
    optkit_box_fn fn;
    const uint8_t *src;
    int H, W, C, oh, ow, nt;
    const double *Ms;
    Py_ssize_t n;
    uint8_t *dst;
    /* the hand-off */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int has_job, job_done;
    pid_t pid;                     /* the process that made this worker; 0 = no worker */
    int busy;                      /* taken by a call (guarded by pool_mu) */
} optkit_worker;

static optkit_worker workers[OPTKIT_MAX_WORKERS];
static pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_cv = PTHREAD_COND_INITIALIZER;

static void
omp_boxes(optkit_box_fn fn, const uint8_t *src, int H, int W, int C, const double *Ms, Py_ssize_t n,
          int oh, int ow, uint8_t *dst, int nt)
{
    const size_t box_bytes = (size_t)oh * ow * C;
    /* Boxes differ in cost (how much of a crop falls outside the image), so hand them out
     * dynamically, two at a time when every thread gets at least 16 boxes (each box is tens of
     * microseconds of work, so the scheduling cost is noise, and the last hand-out leaves a
     * thread at most 2 boxes, an eighth of its share, behind the others); one at a time below
     * that (a chunk of big crops: 6 boxes on 2 threads split 3:3, not 4:2 as pairs would). */
    const int step = n >= 16 * (Py_ssize_t)nt ? 2 : 1;
    #pragma omp parallel for schedule(dynamic, step) num_threads(nt)
    for (Py_ssize_t i = 0; i < n; i++)
        fn(src, H, W, C, Ms + 9 * i, oh, ow, dst + (size_t)i * box_bytes);
}

static void *
worker_main(void *arg)
{
    optkit_worker *w = (optkit_worker *)arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->has_job)
            pthread_cond_wait(&w->cv, &w->mu);
        w->has_job = 0;
        pthread_mutex_unlock(&w->mu);
        omp_boxes(w->fn, w->src, w->H, w->W, w->C, w->Ms, w->n, w->oh, w->ow, w->dst, w->nt);
        pthread_mutex_lock(&w->mu);
        w->job_done = 1;
        pthread_cond_broadcast(&w->cv);
    }
    return NULL;
}

/* Fork handlers: hold pool_mu across fork() so the child never inherits it locked, then in the
 * child decide whether it is marked (see "Fork safety"), forget every worker (their threads are
 * gone) and make the locks new. Flags and plain stores only: nothing else is safe in a child
 * handler. */
static void
pool_prepare(void)
{
    pthread_mutex_lock(&pool_mu);
}

static void
pool_parent(void)
{
    pthread_mutex_unlock(&pool_mu);
}

static void
pool_child(void)
{
    /* The parent made a worker (pid != 0: its own, since its own pool_child cleared any it had
     * inherited): its OpenMP pool existed at the fork. A marked parent's mark is inherited as is. */
    for (int k = 0; k < OPTKIT_MAX_WORKERS; k++)
        if (workers[k].pid != 0)
            forked_child = 1;
    fork_warned = 0;               /* a marked grandchild warns again: it is a new process */
    for (int k = 0; k < OPTKIT_MAX_WORKERS; k++) {
        workers[k].pid = 0;
        workers[k].busy = 0;
    }
    pthread_mutex_init(&pool_mu, NULL);
    pthread_cond_init(&pool_cv, NULL);
}

/* Take a worker of this process (making one if needed), waiting while all are busy.
 * NULL if no thread could be made (the caller then runs serially). Called WITHOUT the GIL. */
static optkit_worker *
take_worker(void)
{
    const pid_t me = getpid();
    optkit_worker *got = NULL;
    pthread_mutex_lock(&pool_mu);
    for (;;) {
        optkit_worker *unused = NULL;
        for (int k = 0; k < OPTKIT_MAX_WORKERS && got == NULL; k++) {
            optkit_worker *w = &workers[k];
            if (w->pid == me && !w->busy)
                got = w;
            else if (w->pid != me && unused == NULL)
                unused = w;        /* never made, or made by another process (the parent) */
        }
        if (got != NULL)
            break;
        if (unused != NULL) {
            /* A new worker: fresh locks (an inherited one may be in any state), signals blocked
             * so that Ctrl-C keeps going to Python's main thread. */
            pthread_mutex_init(&unused->mu, NULL);
            pthread_cond_init(&unused->cv, NULL);
            unused->has_job = unused->job_done = 0;
            sigset_t all, old;
            sigfillset(&all);
            pthread_sigmask(SIG_SETMASK, &all, &old);
            pthread_attr_t attr;
            pthread_t tid;
            int rc = pthread_attr_init(&attr);
            if (rc == 0) {
                pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
                rc = pthread_create(&tid, &attr, worker_main, unused);
                pthread_attr_destroy(&attr);
            }
            pthread_sigmask(SIG_SETMASK, &old, NULL);
            if (rc != 0) {
                pthread_mutex_destroy(&unused->mu);
                pthread_cond_destroy(&unused->cv);
                break;             /* got stays NULL: serial */
            }
            unused->pid = me;
            got = unused;
            break;
        }
        pthread_cond_wait(&pool_cv, &pool_mu);   /* all workers busy: wait for one */
    }
    if (got != NULL)
        got->busy = 1;
    pthread_mutex_unlock(&pool_mu);
    return got;
}

static void
give_back_worker(optkit_worker *w)
{
    pthread_mutex_lock(&pool_mu);
    w->busy = 0;
    pthread_cond_signal(&pool_cv);
    pthread_mutex_unlock(&pool_mu);
}

/* Run the batch on a worker and wait for it. 0 on success, -1 if no worker thread could be made. */
static int
run_on_worker(optkit_box_fn fn, const uint8_t *src, int H, int W, int C, const double *Ms,
              Py_ssize_t n, int oh, int ow, uint8_t *dst, int nt)
{
    optkit_worker *w = take_worker();
    if (w == NULL)
        return -1;
    pthread_mutex_lock(&w->mu);
    w->fn = fn; w->src = src; w->H = H; w->W = W; w->C = C; w->Ms = Ms; w->n = n;
    w->oh = oh; w->ow = ow; w->dst = dst; w->nt = nt;
    w->job_done = 0;
    w->has_job = 1;
    pthread_cond_broadcast(&w->cv);
    while (!w->job_done)
        pthread_cond_wait(&w->cv, &w->mu);
    pthread_mutex_unlock(&w->mu);
    give_back_worker(w);
    return 0;
}
#else
#define OPTKIT_USE_WORKERS 0
#endif

/* The threads a call with `nthreads` (0 = the OpenMP default) runs on, before the cap at its
 * boxes: 1 without OpenMP. Reads settings only: safe without the GIL. */
static int
batch_threads(int nthreads)
{
#ifdef OPTKIT_OPENMP
    /* threads=None (nthreads == 0): the OpenMP default (OMP_NUM_THREADS, else the CPUs of the affinity
     * mask; libgomp ignores a cgroup CPU quota), capped like an explicit count (OMP_NUM_THREADS=100000
     * must not start a thread per box). */
    int nt = nthreads > 0 ? nthreads : omp_get_max_threads();
    if (nt > OPTKIT_MAX_THREADS)
        nt = OPTKIT_MAX_THREADS;
    return nt < 1 ? 1 : nt;
#else
    (void)nthreads;
    return 1;
#endif
}

/* The whole batch. Called WITHOUT the GIL: it touches no Python object, only plain C memory. */
/* fn is the kernel for one box (warp_plain.c or warp_tuned.c): the batch does not care which. */
static void
warp_batch(optkit_box_fn fn, const uint8_t *src, int H, int W, int C, const double *Ms, Py_ssize_t n,
           int oh, int ow, uint8_t *dst, int nthreads)
{
    const size_t box_bytes = (size_t)oh * ow * C;
#ifdef OPTKIT_OPENMP
    int nt = batch_threads(nthreads);
    if ((Py_ssize_t)nt > n)
        nt = (int)n;                     /* never more threads than boxes */
    if (nt > 1) {
#if OPTKIT_USE_WORKERS
        if (run_on_worker(fn, src, H, W, C, Ms, n, oh, ow, dst, nt) == 0)
            return;
        /* no worker thread could be made: serial below (never an OpenMP region on this thread) */
#else
        omp_boxes(fn, src, H, W, C, Ms, n, oh, ow, dst, nt);
        return;
#endif
    }
    /* one thread: no OpenMP region at all (safe after fork) */
#else
    (void)nthreads;                      /* built without OpenMP: serial, whatever `threads` says */
#endif
    for (Py_ssize_t i = 0; i < n; i++)
        fn(src, H, W, C, Ms + 9 * i, oh, ow, dst + (size_t)i * box_bytes);
}


/* ------------------------------------------------------------------------------------------ */
/* warp_crops: the Python-facing function (argument checks, buffers, GIL)                      */
/* ------------------------------------------------------------------------------------------ */

PyDoc_STRVAR(warp_crops_doc,
"warp_crops(image, quads, size, *, threads=None, out=None, kernel='tuned', max_bytes=None) -> numpy.ndarray\n\n"
"Perspective-crop every quad of `image` to an upright h x w patch, in C, without the GIL.\n\n"
"image   uint8 array H x W or H x W x C (C in 1, 3, 4), C-contiguous.\n"
"quads   float32 or float64 array N x 4 x 2: source corners TL, TR, BR, BL as (x, y).\n"
"size    (h, w), both >= 2.\n"
"threads None: the OpenMP default (OMP_NUM_THREADS, else the CPUs of the affinity mask); 0 means the same;\n"
"        k >= 1: k threads. Either way capped at the number of boxes and at 1024. Ignored (serial) if built\n"
"        without OpenMP, and in a process forked from one that had run warp_crops on several threads, or from\n"
"        such a child (OpenMP may hang there; one RuntimeWarning says so).\n"
"        A limit: OpenMP (libgomp) cannot report a thread it fails to start. It ends the whole process\n"
"        ('libgomp: Thread creation failed'), with no Python error to catch, when the process may not start\n"
"        that many threads (ulimit -u, a container's or JupyterHub's pids limit). Ask for no more than the\n"
"        CPUs you have.\n"
"out     optional writable, C-contiguous uint8 array N x h x w [x C] to fill (returned). It must not\n"
"        share memory with image: the check compares addresses, so the same file mapped twice (two\n"
"        mmap views of one page) is not seen, and gives wrong crops (never a crash).\n"
"kernel  'tuned' (warp_tuned.c: SIMD, AVX2 where the CPU has it), 'portable' (the same tuned kernel\n"
"        without AVX2) or 'plain' (warp_plain.c: plain scalar C). All three give identical bytes.\n"
"max_bytes  the largest result allowed, in bytes (None: 256 MiB); a bigger one raises ValueError\n"
"        before anything is allocated. Pass a larger number to go over it on purpose.\n\n"
"A long call can be interrupted (Ctrl-C, Jupyter's interrupt): the GIL is taken back and signals\n"
"are checked between chunks of boxes.\n"
"The same geometry and interpolation as cv2.warpPerspective(image, cv2.getPerspectiveTransform(quad, dst),\n"
"(w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT), dst = [[0,0],[w-1,0],[w-1,h-1],[0,h-1]],\n"
"but not always the same bytes: on boxes inside the image a few values of a box differ by one grey\n"
"level from OpenCV 5 (by two from older OpenCV: fixed-point coordinates and weights); boxes partly\n"
"outside the image, or very thin sheared ones, can differ by a few levels near their edges.\n"
"Raises TypeError / ValueError naming the bad argument, MemoryError if the result cannot be allocated.");

static PyObject *
warp_crops(PyObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"image", "quads", "size", "threads", "out", "kernel", "max_bytes", NULL};
    PyObject *image_o, *quads_o, *size_o, *threads_o = Py_None, *out_o = Py_None;
    PyObject *kernel_o = NULL, *max_bytes_o = Py_None;
    const char *kernel = "tuned";
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOO|$OOOO:warp_crops", kwlist,
                                     &image_o, &quads_o, &size_o, &threads_o, &out_o, &kernel_o,
                                     &max_bytes_o))
        return NULL;
    if (kernel_o != NULL) {
        if (!PyUnicode_Check(kernel_o)) {
            PyErr_Format(PyExc_TypeError, "warp_crops: kernel must be a str, got %.100s",
                         Py_TYPE(kernel_o)->tp_name);
            return NULL;
        }
        Py_ssize_t kernel_len;
        kernel = PyUnicode_AsUTF8AndSize(kernel_o, &kernel_len);
        if (kernel == NULL) {      /* e.g. a lone surrogate: say which argument */
            PyErr_Clear();
            PyErr_SetString(PyExc_ValueError,
                            "warp_crops: kernel must be 'tuned', 'portable' or 'plain'");
            return NULL;
        }
        if ((size_t)kernel_len != strlen(kernel)) {   /* "plain\0..." must not read as "plain" */
            PyErr_SetString(PyExc_ValueError, "warp_crops: kernel must be 'tuned', 'portable' or "
                            "'plain', got a str with a NUL character");
            return NULL;
        }
    }
    /* --- max_bytes: the largest result this call may make (a typo in size must not take the
     * machine's memory or lock the kernel for minutes) --- */
    long long max_bytes = OPTKIT_DEFAULT_MAX_BYTES;
    if (max_bytes_o != Py_None) {
        int ovf;
        if (as_ll(max_bytes_o, &max_bytes, &ovf, "max_bytes") < 0)
            return NULL;
        if (ovf < 0) {
            PyErr_SetString(PyExc_ValueError,
                            "warp_crops: max_bytes is too small: it must be None or >= 0");
            return NULL;
        }
        if (max_bytes < 0) {
            PyErr_Format(PyExc_ValueError, "warp_crops: max_bytes must be None or >= 0, got %lld",
                         max_bytes);
            return NULL;
        }
    }
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
    int oh_ovf, ow_ovf;
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
        int r = as_ll(a, &oh, &oh_ovf, "size[0] (h)");
        Py_DECREF(a);
        if (r < 0)
            return NULL;
        PyObject *b = PySequence_GetItem(size_o, 1);
        if (b == NULL)
            return NULL;
        r = as_ll(b, &ow, &ow_ovf, "size[1] (w)");
        Py_DECREF(b);
        if (r < 0)
            return NULL;
    }
    if (oh_ovf || ow_ovf) {        /* beyond long long: no clamped number in the message */
        const int h_bad = oh_ovf != 0, ovf = h_bad ? oh_ovf : ow_ovf;
        if (ovf > 0)
            PyErr_Format(PyExc_ValueError, "warp_crops: %s is too large (each side at most %d)",
                         h_bad ? "size[0] (h)" : "size[1] (w)", OPTKIT_MAX_SIDE);
        else
            PyErr_Format(PyExc_ValueError, "warp_crops: %s is too small: size must be (h, w) "
                         "with h >= 2 and w >= 2", h_bad ? "size[0] (h)" : "size[1] (w)");
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
        int ovf;
        if (as_ll(threads_o, &t, &ovf, "threads") < 0)
            return NULL;
        if (ovf < 0) {
            PyErr_SetString(PyExc_ValueError,
                            "warp_crops: threads is too small: it must be None or >= 0");
            return NULL;
        }
        if (t < 0) {
            PyErr_Format(PyExc_ValueError,
                         "warp_crops: threads must be None or >= 0, got %lld", t);
            return NULL;
        }
        nthreads = t > OPTKIT_MAX_THREADS ? OPTKIT_MAX_THREADS : (int)t;   /* 2**70 too */
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
    if ((long long)total > max_bytes) {
        PyErr_Format(PyExc_ValueError,
                     "warp_crops: the result would take %zd bytes (%zd crops of %lld x %lld x %zd), "
                     "more than max_bytes=%lld; check size, or pass a larger max_bytes= to allow it",
                     total, n, oh, ow, C, max_bytes);
        goto done;
    }

    /* --- in a marked fork child: one thread, no OpenMP region (see "Fork safety") --- */
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
        /* In chunks of about OPTKIT_CHUNK_BYTES of output: between chunks the GIL is taken back
         * and pending signals are run, so Ctrl-C (Jupyter's interrupt) stops a long call. A chunk
         * is a whole number of rounds of the call's threads (at least one box per thread), so that
         * big crops (one box over the chunk size) still run on `threads` threads: the result is
         * allocated whole anyway, so this costs no memory, and a chunk takes no longer than the
         * boxes of OPTKIT_CHUNK_BYTES on one thread (one box each, at the least). */
        const Py_ssize_t nt = batch_threads(nthreads);
        Py_ssize_t chunk = box_bytes > 0 ? OPTKIT_CHUNK_BYTES / box_bytes : n;
        if (chunk < 1)
            chunk = 1;
        if (nt > 1 && chunk < n)
            chunk = (chunk + nt - 1) / nt * nt;     /* <= OPTKIT_CHUNK_BYTES / box_bytes + nt - 1 */
        for (Py_ssize_t i0 = 0; i0 < n; i0 += chunk) {
            const Py_ssize_t m = n - i0 < chunk ? n - i0 : chunk;
            Py_BEGIN_ALLOW_THREADS
            warp_batch(fn, src, (int)H, (int)W, (int)C, Ms + 9 * i0, m, (int)oh, (int)ow,
                       dst + (size_t)i0 * (size_t)box_bytes, nthreads);
            Py_END_ALLOW_THREADS
            if (PyErr_CheckSignals() < 0)
                goto done;         /* KeyboardInterrupt (or the handler's error): result dropped */
        }
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

/* The same reading as setup.py's _truthy: unset, "", "0", "false", "no", "off" (any case, spaces
 * around ignored) mean off; anything else means on. */
static int
env_truthy(const char *name)
{
    const char *v = getenv(name);
    if (v == NULL)
        return 0;
    while (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r')
        v++;
    size_t len = strlen(v);
    while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t' || v[len - 1] == '\n' || v[len - 1] == '\r'))
        len--;
    static const char *const off[] = {"", "0", "false", "no", "off"};
    for (size_t k = 0; k < sizeof off / sizeof off[0]; k++) {
        size_t m = strlen(off[k]);
        size_t i = 0;
        while (m == len && i < len && tolower((unsigned char)v[i]) == off[k][i])
            i++;
        if (m == len && i == len)
            return 0;
    }
    return 1;
}

PyMODINIT_FUNC
PyInit_native(void)
{
    /* OPTKIT_NO_AVX2=1 forces the portable path of the tuned kernel for the whole process
     * (kernel='portable' does it for one call; the tests compare all of them). */
    optkit_tuned_init(!env_truthy("OPTKIT_NO_AVX2"));
#if OPTKIT_USE_WORKERS
    /* A process that first imports this module after a fork is not marked: its parent had no
     * worker of this module (see "Fork safety"). */
    static int atfork_done = 0;
    if (!atfork_done) {
        if (pthread_atfork(pool_prepare, pool_parent, pool_child) != 0) {
            PyErr_SetString(PyExc_ImportError, "optkit.native: pthread_atfork failed");
            return NULL;
        }
        atfork_done = 1;
    }
#endif
    return PyModule_Create(&native_module);
}

