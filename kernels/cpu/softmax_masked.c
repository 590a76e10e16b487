/* softmax_masked.c — CPU reference for the masked softmax over attention scores (B, NH, T, T):
 * keys past a sequence's length get probability 0. Rows are independent: parallel over rows. */
#include "kernels/cpu/cpu_ops.h"
#include "kernels/cpu/softmax_rows.h"
#include "ticketml/error.h"

#define SM_PAR_MIN 65536

void tml_cpu_masked_softmax_forward(void *ctx, float *probs, const float *scores, const int32_t *lens, int B, int NH,
                                    int T, float scale) {
    for (int b = 0; b < B; b++) TML_ASSERT(lens[b] >= 0 && lens[b] <= T);
    size_t rows = (size_t)B * NH * T;
#pragma omp parallel for schedule(static) if (rows * T >= SM_PAR_MIN)
    for (size_t r = 0; r < rows; r++) {
        int b = (int)(r / ((size_t)NH * T));
        tml_cpu_softmax_row(probs + r * T, scores + r * T, lens[b], T, scale);
    }
}

void tml_cpu_masked_softmax_backward(void *ctx, float *dscores, const float *dprobs, const float *probs, int B,
                                     int NH, int T, float scale) {
    size_t rows = (size_t)B * NH * T;
#pragma omp parallel for schedule(static) if (rows * T >= SM_PAR_MIN)
    for (size_t r = 0; r < rows; r++) tml_cpu_softmax_row_backward(dscores + r * T, dprobs + r * T, probs + r * T, T, scale);
}
