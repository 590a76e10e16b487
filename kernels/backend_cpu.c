/* backend_cpu.c — fills the backend table with the plain-C reference ops of kernels/cpu. */
#include "kernels/backend_impl.h"
#include "kernels/cpu/cpu_ops.h"

static void cpu_ctx_free(void *ctx) {}

const TmlBackendOps tml_cpu_ops = {
    .name = "cpu",
    .is_gpu = 0,
    .ctx_free = cpu_ctx_free,
    .alloc = tml_cpu_alloc,
    .free = tml_cpu_free,
    .upload = tml_cpu_upload,
    .download = tml_cpu_download,
    .copy = tml_cpu_copy,
    .zero = tml_cpu_zero,
    .fill = tml_cpu_fill,
    .sync = tml_cpu_sync,
    .sgemm = tml_cpu_sgemm,
    .scale = tml_cpu_scale,
    .axpy = tml_cpu_axpy,
    .sum_squares = tml_cpu_sum_squares,
    .bias_add_forward = tml_cpu_bias_add_forward,
    .bias_add_backward = tml_cpu_bias_add_backward,
    .relu_forward = tml_cpu_relu_forward,
    .relu_backward = tml_cpu_relu_backward,
    .embbag_forward = tml_cpu_embbag_forward,
    .embbag_backward = tml_cpu_embbag_backward,
    .softmax_xent_forward = tml_cpu_softmax_xent_forward,
    .softmax_xent_backward = tml_cpu_softmax_xent_backward,
    .sigmoid_bce_forward = tml_cpu_sigmoid_bce_forward,
    .sigmoid_bce_backward = tml_cpu_sigmoid_bce_backward,
    .sgd_update = tml_cpu_sgd_update,
    .adamw_update = tml_cpu_adamw_update,
    .sgd_update_rows = tml_cpu_sgd_update_rows,
    .adamw_update_rows = tml_cpu_adamw_update_rows,
    .row_sum = tml_cpu_row_sum,
    .row_argmax = tml_cpu_row_argmax,
    .row_topk = tml_cpu_row_topk,
};
