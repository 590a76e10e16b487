/* scalars.c — CPU reference for the device-scalar ops (backend.h): a sum added into a double and
 * global-norm clipping over several tensors. Plain loops in a fixed order: the same bits every run. */
#include <math.h>

#include "kernels/cpu/cpu_ops.h"

void tml_cpu_sum_into(void *ctx, double *acc, const float *x, size_t n) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += (double)x[i];
    *acc += s;
}

void tml_cpu_clip_global_norm(void *ctx, float *const *xs, const size_t *ns, int k, float max_norm, double *norm) {
    double ss = 0.0;
    for (int t = 0; t < k; t++) ss += tml_cpu_sum_squares(ctx, xs[t], ns[t]);
    double nrm = sqrt(ss);
    if (norm) *norm = nrm;
    if (max_norm > 0.0f && nrm > (double)max_norm) {
        float s = (float)((double)max_norm / (nrm + 1e-12));
        for (int t = 0; t < k; t++)
            for (size_t i = 0; i < ns[t]; i++) xs[t][i] *= s;
    }
}
