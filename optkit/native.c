/* optkit.native: the course's C extension (raw Python/C API + buffer protocol).
 *
 * No pybind11, no NumPy C API: arrays reach C through the buffer protocol
 * (PyObject_GetBuffer / PyBuffer_Release), exactly the way a bytes object or a memoryview would.
 *
 *   build_info()                      -> dict: how this module was built (OpenMP on/off, threads,
 *                                        SIMD kernels in use, compiler).
 *   mean_u8(buf)                      -> float: mean of a C-contiguous uint8 buffer, GIL released.
 *   warp_crops(image, quads, size, *, threads=None, out=None)
 *                                     -> uint8 array N x h x w [x C]: one perspective crop per quad,
 *                                        the whole batch computed without the GIL, OpenMP over boxes
 *                                        (serial in a child made by fork(): see "Fork safety").
 *   crop_means(crops)                 -> list of per-crop mean intensities (PyList_SET_ITEM).
 *   crop_means_setitem(crops)         -> the same list, filled with PyList_SetItem (error-checked).
 *   crop_means_LEAKY_for_lesson(crops)-> the same values, but LEAKS one reference per element:
 *                                        kept on purpose for notebook 04's reference-counting lesson.
 *
 * How a new array is returned without the NumPy C API: we look up `numpy.empty` once (through the
 * ordinary Python API: PyImport_ImportModule + PyObject_GetAttrString, cached for the life of the
 * process), call it like Python code would, check what it returned exactly like a caller's `out`
 * (numpy.empty may have been replaced), and then write into it through the buffer protocol. The result is a normal numpy.ndarray; no NumPy headers are needed to build this.
 *
 * Geometry and sampling follow cv2.warpPerspective(image, cv2.getPerspectiveTransform(quad, dst),
 * (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT) with
 * dst = [[0,0],[w-1,0],[w-1,h-1],[0,h-1]], as implemented by the OpenCV this course ships (5.x):
 *   - every destination pixel (x, y) is mapped through the INVERSE map dst -> src (cv2 inverts M);
 *     we compute that map directly: unit square -> quad (closed form, double precision), composed
 *     with the scaling of the w x h rectangle onto the unit square;
 *   - per row, the terms that depend on y are computed once; along the row the source coordinate is
 *     X = m0*x + Mx(y), Y = m3*x + My(y), W = m6*x + Mw(y) in single precision (the products are
 *     exact in double, so this reproduces OpenCV's fused multiply-add), then sx = X/W, sy = Y/W;
 *   - bilinear interpolation in single precision with the same operation order as OpenCV
 *     (v0 = p00 + fx*(p01-p00), v1 = p10 + fx*(p11-p10), v = v0 + fy*(v1-v0)), rounded half to even;
 *   - BORDER_CONSTANT: neighbours outside the image count as 0; a pixel whose four neighbours are all
 *     outside is 0. (Older OpenCV versions used 5-bit fixed-point coordinates and 15-bit integer
 *     weights instead; the agreement test in tests/test_crops.py measures the difference.)
 * Lines between the marker comments ">>> nb:NAME" and "<<< nb:NAME" are shown in notebook 04
 * (optkit.crops.c_snippet(NAME)); keep the markers when editing.
 *
 * The inner loop has an interior fast path (the whole 2x2 neighbourhood inside: no bounds checks) and
 * is specialised per channel count (C = 1, 3, 4) so the compiler unrolls the per-channel work.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
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

/* AVX2 + FMA: compiled with a per-function target attribute (gcc, clang on x86-64) and chosen
 * at run time, so the extension still runs on any x86-64 CPU. */
#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
#define OPTKIT_AVX2 1
#include <immintrin.h>
#else
#define OPTKIT_AVX2 0
#endif

/* SSE2 is part of the x86-64 baseline: no special compiler flag, no runtime dispatch needed. */
#if defined(__SSE2__) || defined(_M_X64) || defined(_M_AMD64)
#define OPTKIT_SSE2 1
#include <emmintrin.h>
#else
#define OPTKIT_SSE2 0
#endif

#if defined(__GNUC__) || defined(__clang__)
#define OPTKIT_INLINE static inline __attribute__((always_inline))
#else
#define OPTKIT_INLINE static __forceinline
#endif

/* Largest crop side and image side we accept: coordinates must stay exact in float. */
#define OPTKIT_MAX_SIDE (1 << 24)
/* Most OpenMP threads one call may ask for (a typo like threads=10**9 must not try to start them). */
#define OPTKIT_MAX_THREADS 1024

/* ------------------------------------------------------------------------------------------ */
/* build_info, mean_u8                                                                         */
/* ------------------------------------------------------------------------------------------ */

static int use_avx2;   /* defined with the kernels below */

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
                         "simd", use_avx2 ? "avx2" : (OPTKIT_SSE2 ? "sse2" : "none"),
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
static int fork_warned = 0;        /* touched only with the GIL held */

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
static int
format_is(const char *fmt, char code)
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

/* >>> nb:buffers */
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
/* <<< nb:buffers */

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
    if (ov->itemsize != 1 || !format_is(ov->format, 'B')) {
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
/* Geometry: the map from the destination rectangle to the source quad                         */
/* ------------------------------------------------------------------------------------------ */

/* q = x0,y0, x1,y1, x2,y2, x3,y3 (TL, TR, BR, BL). Fills M (row-major 3x3) so that destination
 * pixel (x, y) of a w x h crop comes from source point ((M0 x + M1 y + M2) / (M6 x + M7 y + M8), ...).
 * Returns 0, or -1 if the quad is degenerate (three corners collinear, or not finite). */
static int
rect_to_quad(const double q[8], int w, int h, double M[9])
{
    for (int i = 0; i < 8; i++)
        if (!isfinite(q[i]))
            return -1;
    /* Degenerate if any three corners are (numerically) collinear: the twice-area of each corner
     * triangle compared with the squared size of the quad. */
    double scale2 = 0.0;
    for (int i = 0; i < 4; i++)
        for (int j = i + 1; j < 4; j++) {
            double dx = q[2 * i] - q[2 * j], dy = q[2 * i + 1] - q[2 * j + 1];
            double d2 = dx * dx + dy * dy;
            if (d2 > scale2)
                scale2 = d2;
        }
    if (!(scale2 > 0.0) || !isfinite(scale2))
        return -1;
    for (int i = 0; i < 4; i++) {
        const double *a = q + 2 * i, *b = q + 2 * ((i + 1) % 4), *c = q + 2 * ((i + 2) % 4);
        double cross = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]);
        if (!(fabs(cross) > 1e-9 * scale2))
            return -1;
    }
    /* Unit square -> quad (closed form): (u,v) = (0,0),(1,0),(1,1),(0,1) -> corners 0,1,2,3. */
    const double x0 = q[0], y0 = q[1], x1 = q[2], y1 = q[3], x2 = q[4], y2 = q[5], x3 = q[6], y3 = q[7];
    const double sx = x0 - x1 + x2 - x3, sy = y0 - y1 + y2 - y3;
    double a, b, c, d, e, f, g, hh;
    if (sx == 0.0 && sy == 0.0) {          /* parallelogram: affine */
        a = x1 - x0; b = x3 - x0; c = x0;
        d = y1 - y0; e = y3 - y0; f = y0;
        g = 0.0; hh = 0.0;
    } else {
        const double dx1 = x1 - x2, dx2 = x3 - x2, dy1 = y1 - y2, dy2 = y3 - y2;
        const double det = dx1 * dy2 - dx2 * dy1;
        if (!(fabs(det) > 0.0))
            return -1;
        g = (sx * dy2 - dx2 * sy) / det;
        hh = (dx1 * sy - sx * dy1) / det;
        a = x1 - x0 + g * x1; b = x3 - x0 + hh * x3; c = x0;
        d = y1 - y0 + g * y1; e = y3 - y0 + hh * y3; f = y0;
    }
    /* Destination pixel (x, y) is (u, v) = (x / (w-1), y / (h-1)). */
    const double iw = 1.0 / (double)(w - 1), ih = 1.0 / (double)(h - 1);
    M[0] = a * iw; M[1] = b * ih; M[2] = c;
    M[3] = d * iw; M[4] = e * ih; M[5] = f;
    M[6] = g * iw; M[7] = hh * ih; M[8] = 1.0;
    for (int i = 0; i < 9; i++)
        if (!isfinite(M[i]))
            return -1;
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* The inner loop                                                                              */
/* ------------------------------------------------------------------------------------------ */

/* Round half to even (what OpenCV's cvRound does) and saturate to 0..255. The magic constant
 * 1.5 * 2^23 pushes the fraction out of the float's mantissa, so the FPU's round-to-nearest-even
 * does the rounding; valid for |v| < 2^22, and v is within [0, 255] up to rounding here. */
OPTKIT_INLINE uint8_t
round_u8(float v)
{
    float t = (v + 12582912.0f) - 12582912.0f;
    int r = (int)t;
    return (uint8_t)(r < 0 ? 0 : (r > 255 ? 255 : r));
}

/* One destination pixel from source point (sx, sy): bilinear, BORDER_CONSTANT 0. */
OPTKIT_INLINE void
warp_px(const uint8_t *src, int H, int W, const int C, size_t sstep, float sx, float sy, uint8_t *d)
{
    /* Also catches W == 0 (inf) and NaN: such pixels are outside, like in OpenCV. */
    if (!(sx > -1e8f && sx < 1e8f && sy > -1e8f && sy < 1e8f)) {
        for (int c = 0; c < C; c++)
            d[c] = 0;
        return;
    }
    int ix = (int)sx, iy = (int)sy;          /* truncation, then floor for negatives */
    ix -= (sx < (float)ix);
    iy -= (sy < (float)iy);
    const float fx = sx - (float)ix, fy = sy - (float)iy;
#if OPTKIT_SSE2
    if (C != 1 && (unsigned)ix < (unsigned)(W - 1) && (unsigned)iy < (unsigned)(H - 1)
        && (C == 4 || iy != H - 2 || ix != W - 2)) {
        /* Interior, SSE2 (part of every x86-64 CPU): all channels of a neighbour in one register,
         * the same float operations as the scalar code below, lane by lane. Two 8-byte loads; for
         * C = 3 they read two bytes past the pixel pair, so the image's very last pair is excluded. */
        const uint8_t *p = src + (size_t)iy * sstep + (size_t)ix * C;
        const __m128i z = _mm_setzero_si128();
        const __m128i r0 = _mm_unpacklo_epi8(_mm_loadl_epi64((const __m128i *)p), z);
        const __m128i r1 = _mm_unpacklo_epi8(_mm_loadl_epi64((const __m128i *)(p + sstep)), z);
        const __m128i r0b = C == 3 ? _mm_srli_si128(r0, 6) : _mm_srli_si128(r0, 8);
        const __m128i r1b = C == 3 ? _mm_srli_si128(r1, 6) : _mm_srli_si128(r1, 8);
        const __m128 p00 = _mm_cvtepi32_ps(_mm_unpacklo_epi16(r0, z));
        const __m128 p01 = _mm_cvtepi32_ps(_mm_unpacklo_epi16(r0b, z));
        const __m128 p10 = _mm_cvtepi32_ps(_mm_unpacklo_epi16(r1, z));
        const __m128 p11 = _mm_cvtepi32_ps(_mm_unpacklo_epi16(r1b, z));
        const __m128 vfx = _mm_set1_ps(fx), vfy = _mm_set1_ps(fy);
        __m128 v0 = _mm_add_ps(p00, _mm_mul_ps(vfx, _mm_sub_ps(p01, p00)));
        const __m128 v1 = _mm_add_ps(p10, _mm_mul_ps(vfx, _mm_sub_ps(p11, p10)));
        v0 = _mm_add_ps(v0, _mm_mul_ps(vfy, _mm_sub_ps(v1, v0)));
        /* cvtps rounds half to even (the default MXCSR mode); the packs saturate to 0..255. */
        const __m128i u8 = _mm_packus_epi16(_mm_packs_epi32(_mm_cvtps_epi32(v0), z), z);
        const uint32_t px = (uint32_t)_mm_cvtsi128_si32(u8);
        memcpy(d, &px, (size_t)C);
        return;
    }
#endif
    if ((unsigned)ix < (unsigned)(W - 1) && (unsigned)iy < (unsigned)(H - 1)) {
        /* Interior: the whole 2x2 neighbourhood is inside, no bounds checks. */
        const uint8_t *p = src + (size_t)iy * sstep + (size_t)ix * C;
        for (int c = 0; c < C; c++) {
            const float p00 = p[c], p01 = p[c + C], p10 = p[sstep + c], p11 = p[sstep + c + C];
            float v0 = p00 + fx * (p01 - p00);
            const float v1 = p10 + fx * (p11 - p10);
            v0 += fy * (v1 - v0);
            d[c] = round_u8(v0);
        }
    } else if ((unsigned)(ix + 1) >= (unsigned)(W + 1) || (unsigned)(iy + 1) >= (unsigned)(H + 1)) {
        for (int c = 0; c < C; c++)             /* all four neighbours outside: border value 0 */
            d[c] = 0;
    } else {
        /* On the edge: neighbours outside the image read as 0 (BORDER_CONSTANT). */
        const int in_x0 = ix >= 0, in_x1 = ix + 1 < W, in_y0 = iy >= 0, in_y1 = iy + 1 < H;
        for (int c = 0; c < C; c++) {
            const float p00 = (in_y0 && in_x0) ? src[(size_t)iy * sstep + (size_t)ix * C + c] : 0.0f;
            const float p01 = (in_y0 && in_x1) ? src[(size_t)iy * sstep + (size_t)(ix + 1) * C + c] : 0.0f;
            const float p10 = (in_y1 && in_x0) ? src[(size_t)(iy + 1) * sstep + (size_t)ix * C + c] : 0.0f;
            const float p11 = (in_y1 && in_x1) ? src[(size_t)(iy + 1) * sstep + (size_t)(ix + 1) * C + c] : 0.0f;
            float v0 = p00 + fx * (p01 - p00);
            const float v1 = p10 + fx * (p11 - p10);
            v0 += fy * (v1 - v0);
            d[c] = round_u8(v0);
        }
    }
}

/* Source point of destination pixel x on a row: float(m*x + M(y)). The product of two floats is
 * exact in double, so this is OpenCV's single-rounding fused multiply-add without FMA hardware. */
#define OPTKIT_SRC_POINT(xd, sx, sy)                                   \
    do {                                                               \
        const float X_ = (float)(m0 * (xd) + mx);                      \
        const float Y_ = (float)(m3 * (xd) + my);                      \
        const float W_ = (float)(m6 * (xd) + mw);                      \
        (sx) = X_ / W_;                                                \
        (sy) = Y_ / W_;                                                \
    } while (0)

/* One crop, portable version (C is a compile-time constant in each caller: loops unroll). */
OPTKIT_INLINE void
warp_box(const uint8_t *src, int H, int W, const int C, const double *M,
         int oh, int ow, uint8_t *dst)
{
    const size_t sstep = (size_t)W * C;
    const double m0 = (float)M[0], m3 = (float)M[3], m6 = (float)M[6];
    for (int y = 0; y < oh; y++) {
        /* The y-dependent part of the homography, once per row (OpenCV rounds it to float too);
         * along the row only m*x is added: the incremental homography. */
        const double mx = (float)(M[1] * y + M[2]);
        const double my = (float)(M[4] * y + M[5]);
        const double mw = (float)(M[7] * y + M[8]);
        uint8_t *d = dst + (size_t)y * ow * C;
        double xd = 0.0;
        for (int x = 0; x < ow; x++, xd += 1.0, d += C) {
            float sx, sy;
            OPTKIT_SRC_POINT(xd, sx, sy);
            warp_px(src, H, W, C, sstep, sx, sy, d);
        }
    }
}

static void warp_box_c1(const uint8_t *s, int H, int W, const double *M, int oh, int ow, uint8_t *d)
{ warp_box(s, H, W, 1, M, oh, ow, d); }
static void warp_box_c3(const uint8_t *s, int H, int W, const double *M, int oh, int ow, uint8_t *d)
{ warp_box(s, H, W, 3, M, oh, ow, d); }
static void warp_box_c4(const uint8_t *s, int H, int W, const double *M, int oh, int ow, uint8_t *d)
{ warp_box(s, H, W, 4, M, oh, ow, d); }

#if OPTKIT_AVX2
/* One crop, AVX2 + FMA version: 8 destination pixels per step. Compiled for AVX2 with a target
 * attribute (no global -mavx2 flag), and only called when the CPU reports AVX2 and FMA at run
 * time (see PyInit_native). The 8 source points are computed with fused multiply-adds exactly as
 * OpenCV's vector code does; if all 8 have their 2x2 neighbourhood inside the image, the
 * neighbours are fetched with 4 gathers (2 for C = 1) of 4 bytes each and interpolated 8 at a time
 * per channel (again with FMAs, like OpenCV). Any other block falls back to warp_px per pixel. */
#define OPTKIT_AVX2_FN __attribute__((target("avx2,fma")))

OPTKIT_AVX2_FN OPTKIT_INLINE void
warp_box_avx2(const uint8_t *src, int H, int W, const int C, const double *M,
              int oh, int ow, uint8_t *dst)
{
    const size_t sstep = (size_t)W * C;
    const double m0 = (float)M[0], m3 = (float)M[3], m6 = (float)M[6];
    const __m256 vm0 = _mm256_set1_ps((float)M[0]), vm3 = _mm256_set1_ps((float)M[3]),
                 vm6 = _mm256_set1_ps((float)M[6]);
    const __m256 lane = _mm256_setr_ps(0.f, 1.f, 2.f, 3.f, 4.f, 5.f, 6.f, 7.f);
    const __m256 big = _mm256_set1_ps(1e8f), nbig = _mm256_set1_ps(-1e8f);
    const __m256i minus1 = _mm256_set1_epi32(-1), wlim = _mm256_set1_epi32(W - 1),
                  hlim = _mm256_set1_epi32(H - 1), vstep = _mm256_set1_epi32((int)sstep),
                  vC = _mm256_set1_epi32(C), m255 = _mm256_set1_epi32(255),
                  zero = _mm256_setzero_si256();
    /* Every 4-byte gather must stay inside the image buffer: the last one starts at
     * off + sstep (+ C), so off may be at most this (the caller checked the image is < 2 GiB). */
    const long long lim = (long long)H * (long long)sstep - (long long)sstep - 4 - (C == 1 ? 0 : C);
    const __m256i vlim = _mm256_set1_epi32(lim >= 0 ? (int)lim + 1 : 0);
    for (int y = 0; y < oh; y++) {
        const double mx = (float)(M[1] * y + M[2]);
        const double my = (float)(M[4] * y + M[5]);
        const double mw = (float)(M[7] * y + M[8]);
        const __m256 vmx = _mm256_set1_ps((float)mx), vmy = _mm256_set1_ps((float)my),
                     vmw = _mm256_set1_ps((float)mw);
        uint8_t *drow = dst + (size_t)y * ow * C;
        int x = 0;
        for (; x + 8 <= ow; x += 8) {
            uint8_t *d = drow + (size_t)x * C;
            const __m256 xv = _mm256_add_ps(_mm256_set1_ps((float)x), lane);
            const __m256 Wv = _mm256_fmadd_ps(vm6, xv, vmw);
            const __m256 sx = _mm256_div_ps(_mm256_fmadd_ps(vm0, xv, vmx), Wv);
            const __m256 sy = _mm256_div_ps(_mm256_fmadd_ps(vm3, xv, vmy), Wv);
            const __m256 finite = _mm256_and_ps(
                _mm256_and_ps(_mm256_cmp_ps(sx, nbig, _CMP_GT_OQ), _mm256_cmp_ps(sx, big, _CMP_LT_OQ)),
                _mm256_and_ps(_mm256_cmp_ps(sy, nbig, _CMP_GT_OQ), _mm256_cmp_ps(sy, big, _CMP_LT_OQ)));
            if (_mm256_movemask_ps(finite) == 0xFF) {
                const __m256 flx = _mm256_floor_ps(sx), fly = _mm256_floor_ps(sy);
                const __m256i ix = _mm256_cvttps_epi32(flx), iy = _mm256_cvttps_epi32(fly);
                const __m256 fx = _mm256_sub_ps(sx, flx), fy = _mm256_sub_ps(sy, fly);
                __m256i in = _mm256_and_si256(
                    _mm256_and_si256(_mm256_cmpgt_epi32(ix, minus1), _mm256_cmpgt_epi32(wlim, ix)),
                    _mm256_and_si256(_mm256_cmpgt_epi32(iy, minus1), _mm256_cmpgt_epi32(hlim, iy)));
                const __m256i off = _mm256_add_epi32(_mm256_mullo_epi32(iy, vstep),
                                                     _mm256_mullo_epi32(ix, vC));
                in = _mm256_and_si256(in, _mm256_cmpgt_epi32(vlim, off));
                if (_mm256_movemask_epi8(in) == -1) {
                    const int *base = (const int *)src;
                    const __m256i offb = _mm256_add_epi32(off, vstep);
#if defined(__SANITIZE_ADDRESS__)
                    {   /* AddressSanitizer does not see gathers: touch the first and last byte
                         * of every 4-byte gather with ordinary (checked) loads in ASan builds. */
                        int o[8];
                        volatile uint8_t sink = 0;
                        _mm256_storeu_si256((__m256i *)o, off);
                        for (int k = 0; k < 8; k++) {
                            sink ^= src[o[k]] ^ src[o[k] + 3] ^ src[o[k] + sstep + 3];
                            if (C != 1)
                                sink ^= src[o[k] + C + 3] ^ src[o[k] + sstep + C + 3];
                        }
                        (void)sink;
                    }
#endif
                    const __m256i g00 = _mm256_i32gather_epi32(base, off, 1);
                    const __m256i g10 = _mm256_i32gather_epi32(base, offb, 1);
                    __m256i g01, g11;
                    if (C == 1) {                /* p01 is the next byte of the same 4-byte load */
                        g01 = _mm256_srli_epi32(g00, 8);
                        g11 = _mm256_srli_epi32(g10, 8);
                    } else {
                        g01 = _mm256_i32gather_epi32(base, _mm256_add_epi32(off, vC), 1);
                        g11 = _mm256_i32gather_epi32(base, _mm256_add_epi32(offb, vC), 1);
                    }
                    __m256i res = zero;
                    for (int c = 0; c < C; c++) {
                        const __m256 p00 = _mm256_cvtepi32_ps(_mm256_and_si256(_mm256_srli_epi32(g00, 8 * c), m255));
                        const __m256 p01 = _mm256_cvtepi32_ps(_mm256_and_si256(_mm256_srli_epi32(g01, 8 * c), m255));
                        const __m256 p10 = _mm256_cvtepi32_ps(_mm256_and_si256(_mm256_srli_epi32(g10, 8 * c), m255));
                        const __m256 p11 = _mm256_cvtepi32_ps(_mm256_and_si256(_mm256_srli_epi32(g11, 8 * c), m255));
                        __m256 v0 = _mm256_fmadd_ps(fx, _mm256_sub_ps(p01, p00), p00);
                        const __m256 v1 = _mm256_fmadd_ps(fx, _mm256_sub_ps(p11, p10), p10);
                        v0 = _mm256_fmadd_ps(fy, _mm256_sub_ps(v1, v0), v0);
                        __m256i r = _mm256_cvtps_epi32(v0);          /* round half to even */
                        r = _mm256_min_epi32(_mm256_max_epi32(r, zero), m255);
                        res = _mm256_or_si256(res, _mm256_slli_epi32(r, 8 * c));
                    }
                    if (C == 4) {
                        _mm256_storeu_si256((__m256i *)d, res);
                    } else if (C == 3) {         /* 8 x (3 bytes + 1 unused) -> 24 bytes */
                        const __m256i sh = _mm256_setr_epi8(0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1,
                                                            0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1);
                        const __m256i packed = _mm256_shuffle_epi8(res, sh);
                        const __m128i lo = _mm256_castsi256_si128(packed), hi = _mm256_extracti128_si256(packed, 1);
                        _mm_storeu_si128((__m128i *)d, lo);          /* 12 bytes + 4 that hi overwrites */
                        _mm_storel_epi64((__m128i *)(d + 12), hi);
                        const uint32_t last = (uint32_t)_mm_extract_epi32(hi, 2);
                        memcpy(d + 20, &last, 4);
                    } else {                     /* C == 1: 8 x (1 byte + 3 unused) -> 8 bytes */
                        const __m256i sh = _mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                                            0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
                        const __m256i packed = _mm256_shuffle_epi8(res, sh);
                        const uint32_t a = (uint32_t)_mm_cvtsi128_si32(_mm256_castsi256_si128(packed));
                        const uint32_t b = (uint32_t)_mm_cvtsi128_si32(_mm256_extracti128_si256(packed, 1));
                        memcpy(d, &a, 4);
                        memcpy(d + 4, &b, 4);
                    }
                    continue;
                }
            }
            /* Some of the 8 pixels are near or beyond the image border: one at a time. */
            float sxa[8], sya[8];
            _mm256_storeu_ps(sxa, sx);
            _mm256_storeu_ps(sya, sy);
            for (int k = 0; k < 8; k++)
                warp_px(src, H, W, C, sstep, sxa[k], sya[k], d + (size_t)k * C);
        }
        for (; x < ow; x++) {                    /* row tail (w not a multiple of 8) */
            float sx, sy;
            const double xd = x;
            OPTKIT_SRC_POINT(xd, sx, sy);
            warp_px(src, H, W, C, sstep, sx, sy, drow + (size_t)x * C);
        }
    }
}

OPTKIT_AVX2_FN static void warp_box_avx2_c1(const uint8_t *s, int H, int W, const double *M, int oh, int ow, uint8_t *d)
{ warp_box_avx2(s, H, W, 1, M, oh, ow, d); }
OPTKIT_AVX2_FN static void warp_box_avx2_c3(const uint8_t *s, int H, int W, const double *M, int oh, int ow, uint8_t *d)
{ warp_box_avx2(s, H, W, 3, M, oh, ow, d); }
OPTKIT_AVX2_FN static void warp_box_avx2_c4(const uint8_t *s, int H, int W, const double *M, int oh, int ow, uint8_t *d)
{ warp_box_avx2(s, H, W, 4, M, oh, ow, d); }
#endif

/* Set once in PyInit_native: 1 if this CPU has AVX2 and FMA (and OPTKIT_NO_AVX2 is not set). */
static int use_avx2 = 0;

/* The whole batch. Called WITHOUT the GIL: it touches no Python object, only plain C memory. */
static void
warp_batch(const uint8_t *src, int H, int W, int C, const double *Ms, Py_ssize_t n,
           int oh, int ow, uint8_t *dst, int nthreads)
{
    void (*fn)(const uint8_t *, int, int, const double *, int, int, uint8_t *) =
        C == 1 ? warp_box_c1 : (C == 3 ? warp_box_c3 : warp_box_c4);
#if OPTKIT_AVX2
    /* The gathers take 32-bit offsets: the AVX2 kernel only for images below 2 GiB. */
    if (use_avx2 && (long long)H * W * C < 0x7fff0000LL)
        fn = C == 1 ? warp_box_avx2_c1 : (C == 3 ? warp_box_avx2_c3 : warp_box_avx2_c4);
#endif
    const size_t box_bytes = (size_t)oh * ow * C;
/* >>> nb:openmp */
#ifdef OPTKIT_OPENMP
    /* threads=None (nthreads == 0): the OpenMP default (OMP_NUM_THREADS or all usable cores). */
    int nt = nthreads > 0 ? nthreads : omp_get_max_threads();
    if ((Py_ssize_t)nt > n)
        nt = (int)n;                     /* never more threads than boxes */
    if (nt <= 1) {                       /* one thread: no OpenMP region (safe after fork) */
        for (Py_ssize_t i = 0; i < n; i++)
            fn(src, H, W, Ms + 9 * i, oh, ow, dst + (size_t)i * box_bytes);
        return;
    }
    /* Boxes differ in cost (how much of a crop falls outside the image), so hand them out
     * dynamically; each box is tens of microseconds of work, so the scheduling cost is noise. */
    #pragma omp parallel for schedule(dynamic, 2) num_threads(nt)
    for (Py_ssize_t i = 0; i < n; i++)
        fn(src, H, W, Ms + 9 * i, oh, ow, dst + (size_t)i * box_bytes);
#else
    (void)nthreads;                      /* built without OpenMP: serial, whatever `threads` says */
    for (Py_ssize_t i = 0; i < n; i++)
        fn(src, H, W, Ms + 9 * i, oh, ow, dst + (size_t)i * box_bytes);
#endif
}
/* <<< nb:openmp */

/* ------------------------------------------------------------------------------------------ */
/* warp_crops: the Python-facing function (argument checks, buffers, GIL)                      */
/* ------------------------------------------------------------------------------------------ */

PyDoc_STRVAR(warp_crops_doc,
"warp_crops(image, quads, size, *, threads=None, out=None) -> numpy.ndarray\n\n"
"Perspective-crop every quad of `image` to an upright h x w patch, in C, without the GIL.\n\n"
"image   uint8 array H x W or H x W x C (C in 1, 3, 4), C-contiguous.\n"
"quads   float32 or float64 array N x 4 x 2: source corners TL, TR, BR, BL as (x, y).\n"
"size    (h, w), both >= 2.\n"
"threads None: the OpenMP default (OMP_NUM_THREADS, else all usable cores); 0 means the same;\n"
"        k >= 1: k threads (capped at the number of boxes). Ignored (serial) if built without OpenMP,\n"
"        and in a child process made by fork() (OpenMP cannot run there; one RuntimeWarning says so).\n"
"out     optional writable, C-contiguous uint8 array N x h x w [x C] to fill (returned).\n\n"
"Same result as cv2.warpPerspective(image, cv2.getPerspectiveTransform(quad, dst), (w, h),\n"
"flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT), dst = [[0,0],[w-1,0],[w-1,h-1],[0,h-1]].\n"
"Raises TypeError / ValueError naming the bad argument, MemoryError if the result cannot be allocated.");

static PyObject *
warp_crops(PyObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"image", "quads", "size", "threads", "out", NULL};
    PyObject *image_o, *quads_o, *size_o, *threads_o = Py_None, *out_o = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOO|$OO:warp_crops", kwlist,
                                     &image_o, &quads_o, &size_o, &threads_o, &out_o))
        return NULL;

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
    if (img.itemsize != 1 || !format_is(img.format, 'B')) {
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
    const int q64 = qv.itemsize == 8 && format_is(qv.format, 'd');
    const int q32 = qv.itemsize == 4 && format_is(qv.format, 'f');
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
        if (rect_to_quad(q, (int)ow, (int)oh, Ms + 9 * i) < 0) {
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

/* >>> nb:gil */
    /* --- the work: no Python object is touched from here to Py_END_ALLOW_THREADS --- */
    if (n > 0) {
        const uint8_t *src = (const uint8_t *)img.buf;
        uint8_t *dst = (uint8_t *)ov.buf;
        Py_BEGIN_ALLOW_THREADS
        warp_batch(src, (int)H, (int)W, (int)C, Ms, n, (int)oh, (int)ow, dst, nthreads);
        Py_END_ALLOW_THREADS
    }
/* <<< nb:gil */
    ok = 1;

/* >>> nb:release */
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
/* <<< nb:release */

/* ------------------------------------------------------------------------------------------ */
/* Reference counting, taught with real code: per-crop mean intensity as a Python list         */
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
    if (v.itemsize != 1 || !format_is(v.format, 'B') || v.ndim < 1 || !PyBuffer_IsContiguous(&v, 'C')) {
        PyBuffer_Release(&v);
        PyErr_Format(PyExc_ValueError,
                     "%s: crops must be a C-contiguous uint8 array of shape (N, ...)", fname);
        return NULL;
    }
    const Py_ssize_t n = v.shape[0];
    const Py_ssize_t per = n > 0 ? v.len / n : 0;
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

/* >>> nb:set_item */
/* Correct, version 1: PyList_SET_ITEM on a FRESH list.
 * PyList_New(n) makes a list of n NULL slots. PyList_SET_ITEM is a macro that just stores the
 * pointer: it "steals" our reference to f (the list now owns it), so we must NOT Py_DECREF(f).
 * It does no error checking and does not release what was in the slot, which is why it is only
 * for filling a fresh list. */
static PyObject *
crop_means(PyObject *self, PyObject *crops)
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
/* <<< nb:set_item */

/* >>> nb:setitem */
/* Correct, version 2: PyList_SetItem, the checked function.
 * It also steals the reference to f, even when it fails (then it DECREFs f itself), and it
 * releases whatever was in the slot before. It returns -1 (with an exception) on a bad index. */
static PyObject *
crop_means_setitem(PyObject *self, PyObject *crops)
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
/* <<< nb:setitem */

/* >>> nb:leaky */
/* WRONG ON PURPOSE, kept for the lesson in notebook 04. Do not copy.
 * The bug: PyList_Append does NOT steal a reference (unlike PyList_SET_ITEM / PyList_SetItem):
 * it takes its own new reference to f. Code written as if Append stole (the SET_ITEM habit) never
 * releases the reference that PyFloat_FromDouble gave us. Every float therefore ends with
 * refcount 2 while only the list holds it: when the list dies the count drops to 1, never to 0,
 * and the float is never freed. One leaked object per element, per call.
 * Symptoms the notebook and tests/test_native.py measure: sys.getrefcount(result[0]) is one higher
 * than for crop_means, tracemalloc sees memory that is never released, and the process RSS grows.
 * The fix is one line: Py_DECREF(f) after a successful PyList_Append (or use PyList_SET_ITEM). */
static PyObject *
crop_means_LEAKY_for_lesson(PyObject *self, PyObject *crops)
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
/* <<< nb:leaky */

/* ------------------------------------------------------------------------------------------ */
/* Module                                                                                      */
/* ------------------------------------------------------------------------------------------ */

static PyMethodDef native_methods[] = {
    {"build_info", build_info, METH_NOARGS,
     "How this module was built: {'openmp': bool, 'max_threads': int, 'simd': 'avx2' | 'sse2' | "
     "'none', 'compiler': str}."},
    {"mean_u8", mean_u8, METH_O, "Mean of a C-contiguous uint8 buffer (GIL released while summing)."},
    {"warp_crops", (PyCFunction)(void (*)(void))warp_crops, METH_VARARGS | METH_KEYWORDS, warp_crops_doc},
    {"crop_means", crop_means, METH_O,
     "Per-crop mean intensity of a uint8 array (N, ...) as a list; filled with PyList_SET_ITEM."},
    {"crop_means_setitem", crop_means_setitem, METH_O,
     "Same as crop_means, filled with PyList_SetItem (checked; steals the reference)."},
    {"crop_means_LEAKY_for_lesson", crop_means_LEAKY_for_lesson, METH_O,
     "DELIBERATELY LEAKY version of crop_means (PyList_Append without Py_DECREF): leaks one float per "
     "element per call. For the reference-counting lesson only."},
    {NULL, NULL, 0, NULL}
};

static struct PyModuleDef native_module = {
    PyModuleDef_HEAD_INIT, "optkit.native", "optkit's C extension (see optkit/native.c).", -1, native_methods, NULL, NULL, NULL, NULL
};

PyMODINIT_FUNC
PyInit_native(void)
{
#if OPTKIT_AVX2
    /* OPTKIT_NO_AVX2=1 forces the portable kernel (the tests compare both). */
    const char *no = getenv("OPTKIT_NO_AVX2");
    __builtin_cpu_init();
    use_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")
               && !(no != NULL && no[0] != '\0' && strcmp(no, "0") != 0);
#endif
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
