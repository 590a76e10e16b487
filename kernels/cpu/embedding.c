/* embedding.c — CPU reference for the dense embedding gather (word, position and token-type rows
 * summed into the encoder's input) and its scatter-add backward. An id may repeat, so the backward
 * splits columns, not rows, across threads: every dE element is summed in row order by one thread
 * and the bits do not depend on the thread count. */
#include <string.h>

#include <omp.h>

#include "kernels/cpu/cpu_ops.h"
#include "ticketml/error.h"

#define EMB_PAR_MIN 65536 /* elements below which a parallel region costs more than it saves */

void tml_cpu_embedding_forward(void *ctx, float *out, const float *E, int V, const int32_t *ids, int N, int D,
                               int accumulate) {
    for (int i = 0; i < N; i++) TML_ASSERT(ids[i] >= 0 && ids[i] < V);
#pragma omp parallel for schedule(static) if ((size_t)N * D >= EMB_PAR_MIN)
    for (int i = 0; i < N; i++) {
        float *o = out + (size_t)i * D;
        const float *e = E + (size_t)ids[i] * D;
        if (accumulate)
            for (int d = 0; d < D; d++) o[d] += e[d];
        else
            memcpy(o, e, sizeof(float) * (size_t)D);
    }
}

/* Column slices are multiples of 16 floats (a cache line) so threads never share a line of dE. */
#define EMB_COL_ALIGN 16

void tml_cpu_embedding_backward(void *ctx, float *dE, int V, const float *dout, const int32_t *ids, int N, int D) {
    for (int i = 0; i < N; i++) TML_ASSERT(ids[i] >= 0 && ids[i] < V);
    int threads = (size_t)N * D >= EMB_PAR_MIN ? omp_get_max_threads() : 1;
    int width = (D + threads - 1) / threads;
    width = (width + EMB_COL_ALIGN - 1) / EMB_COL_ALIGN * EMB_COL_ALIGN;
    int nslices = (D + width - 1) / width;
#pragma omp parallel for schedule(static) num_threads(nslices) if (nslices > 1)
    for (int s = 0; s < nslices; s++) {
        int d0 = s * width, d1 = d0 + width < D ? d0 + width : D;
        for (int i = 0; i < N; i++) {
            float *de = dE + (size_t)ids[i] * D;
            const float *g = dout + (size_t)i * D;
            for (int d = d0; d < d1; d++) de[d] += g[d];
        }
    }
}
