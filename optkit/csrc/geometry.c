/* geometry.c: the map from an upright w x h crop to the quad it is cut from.
 *
 * Geometry follows cv2.warpPerspective(image, cv2.getPerspectiveTransform(quad, dst), (w, h),
 * flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT) with
 * dst = [[0,0],[w-1,0],[w-1,h-1],[0,h-1]]: every destination pixel (x, y) is mapped through the
 * INVERSE map dst -> src (cv2 inverts M). We compute that map directly: unit square -> quad
 * (closed form, double precision), composed with the scaling of the w x h rectangle onto the
 * unit square. No Python here: module.c calls it while it still holds the GIL, so that a bad
 * quad becomes a ValueError before any work starts.
 */
#include <math.h>

#include "optkit_native.h"


/* q = x0,y0, x1,y1, x2,y2, x3,y3 (TL, TR, BR, BL). Fills M (row-major 3x3) so that destination
 * pixel (x, y) of a w x h crop comes from source point ((M0 x + M1 y + M2) / (M6 x + M7 y + M8), ...).
 * Returns 0, or -1 if the quad is degenerate (three corners collinear, or not finite). */
int
optkit_rect_to_quad(const double q[8], int w, int h, double M[9])
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
