/* optkit_native.h: what the files of the optkit.native extension share.
 *
 * One extension module, optkit.native, built from the files of this folder (setup.py lists
 * them all):
 *
 *   module.c        the interface layer: method table, argument parsing, the buffer protocol,
 *                   releasing the GIL, OpenMP over the boxes, fork safety. Read it first.
 *   geometry.c      the map from the destination rectangle to the source quad (one 3 x 3 matrix).
 *   warp_plain.c    a plain scalar perspective-warp kernel, about 40 lines: the whole algorithm.
 *   warp_tuned.c    the same algorithm made fast: per-channel specialisation, an interior fast
 *                   path, SSE2, and an AVX2 path chosen at run time.
 *   leak_lessons.c  reference counting done right (twice) and wrong (once, on purpose), and a
 *                   C-level malloc leak, for notebook 04's memory lessons.
 *
 * The rounding rule every kernel follows, so that they give IDENTICAL bytes on every CPU
 * (tests/test_native.py checks it):
 *   - m0 = (float)M[0], m3 = (float)M[3], m6 = (float)M[6]; per row y, in double and then
 *     rounded once to float: mx = (float)(M[1]*y + M[2]), my = (float)(M[4]*y + M[5]),
 *     mw = (float)(M[7]*y + M[8]);
 *   - per pixel x, in float, a multiply and then an add (never a fused multiply-add):
 *     X = m0*x + mx, Y = m3*x + my, Wh = m6*x + mw; sx = X / Wh, sy = Y / Wh;
 *   - a source point outside (-1e8, 1e8) in either coordinate (or NaN) gives 0;
 *   - ix = floor(sx), iy = floor(sy), fx = sx - ix, fy = sy - iy; the four neighbours, 0 when
 *     outside the image (BORDER_CONSTANT), as floats p00, p01 (right), p10 (below), p11;
 *   - top = p00 + fx*(p01 - p00), bottom = p10 + fx*(p11 - p10), v = top + fy*(bottom - top),
 *     each a float multiply and then a float add;
 *   - v rounded half to even, saturated to 0..255.
 * The build passes -ffp-contract=off so that the compiler never fuses a multiply and an add on
 * its own (on a CPU with FMA that would change the last bit, and then sometimes a pixel).
 */
#ifndef OPTKIT_NATIVE_H
#define OPTKIT_NATIVE_H

#include <stddef.h>
#include <stdint.h>

/* Largest crop side and image side we accept: coordinates must stay exact in float. */
#define OPTKIT_MAX_SIDE (1 << 24)
/* Most OpenMP threads one call may ask for (a typo like threads=10**9 must not try to start them). */
#define OPTKIT_MAX_THREADS 1024
/* warp_crops' default cap on the bytes of one result (max_bytes=None); max_bytes= goes over it.
 * Signals are checked between boxes, not inside one, so the cap also bounds how long a single
 * huge box keeps Ctrl-C waiting. */
#define OPTKIT_DEFAULT_MAX_BYTES (1LL << 28)
/* Output bytes per chunk of boxes between two signal checks in warp_crops (rounded up to a whole
 * number of rounds of the call's threads, at least one box per thread). */
#define OPTKIT_CHUNK_BYTES ((Py_ssize_t)16 << 20)

/* Functions shared between the files, but not exported from the shared library. */
#if (defined(__GNUC__) || defined(__clang__)) && !defined(_WIN32)
#define OPTKIT_INTERNAL __attribute__((visibility("hidden")))
#else
#define OPTKIT_INTERNAL
#endif

/* A kernel: one crop. src is the H x W x C image (C-contiguous), M the 3 x 3 map (row-major) from
 * destination pixel (x, y) to source point, dst the oh x ow x C crop to fill. Touches no Python
 * object, so it runs without the GIL. */
typedef void (*optkit_box_fn)(const uint8_t *src, int H, int W, int C, const double M[9],
                              int oh, int ow, uint8_t *dst);

/* geometry.c: M for the quad q (TL, TR, BR, BL as x0,y0,...,x3,y3) and a w x h crop.
 * 0, or -1 if the quad is degenerate (three corners collinear) or not finite. */
OPTKIT_INTERNAL int optkit_rect_to_quad(const double q[8], int w, int h, double M[9]);

/* warp_plain.c */
OPTKIT_INTERNAL void optkit_warp_box_plain(const uint8_t *src, int H, int W, int C,
                                           const double M[9], int oh, int ow, uint8_t *dst);

/* warp_tuned.c: detect the CPU once (call with the GIL held, at import); allow_avx2 = 0 keeps
 * the portable path (SSE2 on x86-64, plain C elsewhere). Returns 1 if AVX2 will be used. */
OPTKIT_INTERNAL int optkit_tuned_init(int allow_avx2);
/* "avx2", "sse2" or "none": what the tuned kernel uses on this CPU (after optkit_tuned_init). */
OPTKIT_INTERNAL const char *optkit_tuned_simd(void);
/* The tuned kernel for C channels; portable = 1 forces the portable path even on an AVX2 CPU.
 * image_bytes: H * W * C (the AVX2 gathers take 32-bit offsets: only below 2 GiB). */
OPTKIT_INTERNAL optkit_box_fn optkit_tuned_kernel(int C, int portable, long long image_bytes);

#ifdef Py_PYTHON_H
/* module.c: 1 if the struct-module format string `fmt` is one native item of type `code`. */
OPTKIT_INTERNAL int optkit_format_is(const char *fmt, char code);

/* leak_lessons.c: METH_O / METH_O / METH_O / METH_O functions of the module. */
OPTKIT_INTERNAL PyObject *optkit_crop_means(PyObject *self, PyObject *crops);
OPTKIT_INTERNAL PyObject *optkit_crop_means_setitem(PyObject *self, PyObject *crops);
OPTKIT_INTERNAL PyObject *optkit_crop_means_LEAKY_for_lesson(PyObject *self, PyObject *crops);
OPTKIT_INTERNAL PyObject *optkit_leak_malloc_FOR_LESSON(PyObject *self, PyObject *nbytes);
#endif

#endif /* OPTKIT_NATIVE_H */
