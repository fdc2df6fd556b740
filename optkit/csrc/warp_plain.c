/* warp_plain.c: the perspective warp of one crop, written as plainly as C allows.
 *
 * For every destination pixel: map it through M to a source point, take the four source pixels
 * around that point and blend them bilinearly. Outside the image a pixel counts as 0
 * (BORDER_CONSTANT). The arithmetic follows the rounding rule in optkit_native.h, so this
 * kernel gives exactly the same bytes as warp_tuned.c (only slower).
 */
#include <math.h>
#include <string.h>

#include "optkit_native.h"

/* Channel c of source pixel (x, y), or 0 outside the image. */
static float
pixel(const uint8_t *src, int H, int W, int C, int x, int y, int c)
{
    if (x < 0 || y < 0 || x >= W || y >= H)
        return 0.0f;
    return src[((size_t)y * W + x) * C + c];
}

void
optkit_warp_box_plain(const uint8_t *src, int H, int W, int C, const double M[9],
                      int oh, int ow, uint8_t *dst)
{
    const float m0 = (float)M[0], m3 = (float)M[3], m6 = (float)M[6];
    for (int y = 0; y < oh; y++) {
        /* The part of the map that depends only on y: once per row. */
        const float mx = (float)(M[1] * y + M[2]), my = (float)(M[4] * y + M[5]),
                    mw = (float)(M[7] * y + M[8]);
        for (int x = 0; x < ow; x++) {
            uint8_t *d = dst + ((size_t)y * ow + x) * C;
            const float wh = m6 * (float)x + mw;
            const float sx = (m0 * (float)x + mx) / wh, sy = (m3 * (float)x + my) / wh;
            if (!(sx > -1e8f && sx < 1e8f && sy > -1e8f && sy < 1e8f)) {
                memset(d, 0, (size_t)C);        /* far outside, or NaN: border value 0 */
                continue;
            }
            const int ix = (int)floorf(sx), iy = (int)floorf(sy);
            const float fx = sx - (float)ix, fy = sy - (float)iy;
            for (int c = 0; c < C; c++) {
                const float p00 = pixel(src, H, W, C, ix, iy, c);
                const float p01 = pixel(src, H, W, C, ix + 1, iy, c);
                const float p10 = pixel(src, H, W, C, ix, iy + 1, c);
                const float p11 = pixel(src, H, W, C, ix + 1, iy + 1, c);
                const float top = p00 + fx * (p01 - p00), bottom = p10 + fx * (p11 - p10);
                const long v = lrintf(top + fy * (bottom - top));   /* half to even */
                d[c] = (uint8_t)(v < 0 ? 0 : (v > 255 ? 255 : v));
            }
        }
    }
}
