/* warp_tuned.c: the kernel of warp_plain.c made fast. Same algorithm, same bytes.
 *
 * What makes it faster than warp_plain.c:
 *   - specialised per channel count (C = 1, 3, 4 are compile-time constants in each copy), so the
 *     compiler unrolls the per-channel work;
 *   - an interior fast path: when the whole 2 x 2 neighbourhood is inside the image there are no
 *     bounds checks (most pixels of most crops); the border code runs only near the edges;
 *   - SSE2 (part of every x86-64 CPU): all channels of a pixel in one register;
 *   - AVX2, chosen at run time if the CPU has it: 8 destination pixels per step, the neighbours
 *     fetched with gathers. Compiled with a per-function target attribute, so the module still
 *     runs on any x86-64 CPU.
 * Every path follows the rounding rule in optkit_native.h (a multiply then an add, never a fused
 * multiply-add, divisions and rounding as IEEE prescribes), so the AVX2 path, the portable path
 * and warp_plain.c give identical bytes; tests/test_native.py compares all three.
 *
 * Like OpenCV 5.x: bilinear interpolation in single precision, rounded half to even. Not the
 * same bytes as cv2.warpPerspective, though: on boxes inside the image a few values of most
 * boxes differ by one grey level from OpenCV 5 (boxes partly outside the image, or very thin
 * sheared ones, a few levels near their edges). Older OpenCV versions used 5-bit fixed-point
 * coordinates and 15-bit integer weights instead (two levels); the agreement tests in
 * tests/lessons/test_c_extension.py measure the difference.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "optkit_native.h"

/* AVX2: compiled with a per-function target attribute (gcc, clang on x86-64) and chosen at run
 * time, so the extension still runs on any x86-64 CPU. */
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

/* Source point of destination pixel x on a row: m*x + M(y) in float, a multiply and then an add
 * (the rounding rule of optkit_native.h; no fused multiply-add, so every CPU gives the same). */
#define OPTKIT_SRC_POINT(xf, sx, sy)                                   \
    do {                                                               \
        const float X_ = m0 * (xf) + mx;                               \
        const float Y_ = m3 * (xf) + my;                               \
        const float W_ = m6 * (xf) + mw;                               \
        (sx) = X_ / W_;                                                \
        (sy) = Y_ / W_;                                                \
    } while (0)

/* One crop, portable version (C is a compile-time constant in each caller: loops unroll). */
OPTKIT_INLINE void
warp_box(const uint8_t *src, int H, int W, const int C, const double *M,
         int oh, int ow, uint8_t *dst)
{
    const size_t sstep = (size_t)W * C;
    const float m0 = (float)M[0], m3 = (float)M[3], m6 = (float)M[6];
    for (int y = 0; y < oh; y++) {
        /* The y-dependent part of the homography, once per row (OpenCV rounds it to float too);
         * along the row only m*x is added: the incremental homography. */
        const float mx = (float)(M[1] * y + M[2]);
        const float my = (float)(M[4] * y + M[5]);
        const float mw = (float)(M[7] * y + M[8]);
        uint8_t *d = dst + (size_t)y * ow * C;
        for (int x = 0; x < ow; x++, d += C) {
            float sx, sy;
            OPTKIT_SRC_POINT((float)x, sx, sy);
            warp_px(src, H, W, C, sstep, sx, sy, d);
        }
    }
}

static void warp_box_c1(const uint8_t *s, int H, int W, int C, const double *M, int oh, int ow, uint8_t *d)
{ (void)C; warp_box(s, H, W, 1, M, oh, ow, d); }
static void warp_box_c3(const uint8_t *s, int H, int W, int C, const double *M, int oh, int ow, uint8_t *d)
{ (void)C; warp_box(s, H, W, 3, M, oh, ow, d); }
static void warp_box_c4(const uint8_t *s, int H, int W, int C, const double *M, int oh, int ow, uint8_t *d)
{ (void)C; warp_box(s, H, W, 4, M, oh, ow, d); }

#if OPTKIT_AVX2
/* One crop, AVX2 version: 8 destination pixels per step. Compiled for AVX2 with a target
 * attribute (no global -mavx2 flag), and only called when the CPU reports AVX2 at run time (see
 * optkit_tuned_init). The 8 source points are computed with the scalar code's operations, lane by
 * lane (multiply, add, divide: no FMA); if all 8 have their 2x2 neighbourhood inside the image, the
 * neighbours are fetched with 4 gathers (2 for C = 1) of 4 bytes each and interpolated 8 at a time
 * per channel (multiply, then add). Any other block falls back to warp_px per pixel. */
#define OPTKIT_AVX2_FN __attribute__((target("avx2")))

OPTKIT_AVX2_FN OPTKIT_INLINE void
warp_box_avx2(const uint8_t *src, int H, int W, const int C, const double *M,
              int oh, int ow, uint8_t *dst)
{
    const size_t sstep = (size_t)W * C;
    const float m0 = (float)M[0], m3 = (float)M[3], m6 = (float)M[6];
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
        const float mx = (float)(M[1] * y + M[2]);
        const float my = (float)(M[4] * y + M[5]);
        const float mw = (float)(M[7] * y + M[8]);
        const __m256 vmx = _mm256_set1_ps(mx), vmy = _mm256_set1_ps(my), vmw = _mm256_set1_ps(mw);
        uint8_t *drow = dst + (size_t)y * ow * C;
        int x = 0;
        for (; x + 8 <= ow; x += 8) {
            uint8_t *d = drow + (size_t)x * C;
            const __m256 xv = _mm256_add_ps(_mm256_set1_ps((float)x), lane);
            /* multiply, then add: the same two roundings as the scalar code (no FMA) */
            const __m256 Wv = _mm256_add_ps(_mm256_mul_ps(vm6, xv), vmw);
            const __m256 sx = _mm256_div_ps(_mm256_add_ps(_mm256_mul_ps(vm0, xv), vmx), Wv);
            const __m256 sy = _mm256_div_ps(_mm256_add_ps(_mm256_mul_ps(vm3, xv), vmy), Wv);
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
                        __m256 v0 = _mm256_add_ps(p00, _mm256_mul_ps(fx, _mm256_sub_ps(p01, p00)));
                        const __m256 v1 = _mm256_add_ps(p10, _mm256_mul_ps(fx, _mm256_sub_ps(p11, p10)));
                        v0 = _mm256_add_ps(v0, _mm256_mul_ps(fy, _mm256_sub_ps(v1, v0)));
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
            OPTKIT_SRC_POINT((float)x, sx, sy);
            warp_px(src, H, W, C, sstep, sx, sy, drow + (size_t)x * C);
        }
    }
}

OPTKIT_AVX2_FN static void warp_box_avx2_c1(const uint8_t *s, int H, int W, int C, const double *M, int oh, int ow, uint8_t *d)
{ (void)C; warp_box_avx2(s, H, W, 1, M, oh, ow, d); }
OPTKIT_AVX2_FN static void warp_box_avx2_c3(const uint8_t *s, int H, int W, int C, const double *M, int oh, int ow, uint8_t *d)
{ (void)C; warp_box_avx2(s, H, W, 3, M, oh, ow, d); }
OPTKIT_AVX2_FN static void warp_box_avx2_c4(const uint8_t *s, int H, int W, int C, const double *M, int oh, int ow, uint8_t *d)
{ (void)C; warp_box_avx2(s, H, W, 4, M, oh, ow, d); }
#endif

/* Set once by optkit_tuned_init (at import, GIL held): 1 if this CPU has AVX2 and it is allowed. */
static int use_avx2 = 0;

int
optkit_tuned_init(int allow_avx2)
{
#if OPTKIT_AVX2
    __builtin_cpu_init();
    use_avx2 = allow_avx2 && __builtin_cpu_supports("avx2");
#else
    (void)allow_avx2;
#endif
    return use_avx2;
}

const char *
optkit_tuned_simd(void)
{
    return use_avx2 ? "avx2" : (OPTKIT_SSE2 ? "sse2" : "none");
}

optkit_box_fn
optkit_tuned_kernel(int C, int portable, long long image_bytes)
{
#if OPTKIT_AVX2
    /* The gathers take 32-bit offsets: the AVX2 kernel only for images below 2 GiB. */
    if (use_avx2 && !portable && image_bytes < 0x7fff0000LL)
        return C == 1 ? warp_box_avx2_c1 : (C == 3 ? warp_box_avx2_c3 : warp_box_avx2_c4);
#else
    (void)portable;
    (void)image_bytes;
#endif
    return C == 1 ? warp_box_c1 : (C == 3 ? warp_box_c3 : warp_box_c4);
}
