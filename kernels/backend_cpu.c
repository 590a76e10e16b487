/* backend_cpu.c — fills the backend table with the plain-C reference ops of kernels/cpu. */
#include "kernels/backend_impl.h"
#include "kernels/cpu/cpu_ops.h"

static void ctx_free_cpu(void *ctx) {}

const TmlBackendOps tml_cpu_ops = {
    .name = "cpu",
    .is_gpu = 0,
    .ctx_free = ctx_free_cpu,
    .alloc = alloc_cpu,
    .free = free_cpu,
    .upload = upload_cpu,
    .download = download_cpu,
    .copy = copy_cpu,
    .zero = zero_cpu,
    .fill = fill_cpu,
    .sync = sync_cpu,
    .sgemm = sgemm_cpu,
    .scale = scale_cpu,
    .axpy = axpy_cpu,
    .sum_squares = sum_squares_cpu,
    .bias_add_forward = bias_add_forward_cpu,
    .bias_add_backward = bias_add_backward_cpu,
    .relu_forward = relu_forward_cpu,
    .relu_backward = relu_backward_cpu,
    .embbag_forward = embbag_forward_cpu,
    .embbag_backward = embbag_backward_cpu,
    .softmax_xent_forward = softmax_xent_forward_cpu,
    .softmax_xent_backward = softmax_xent_backward_cpu,
    .sigmoid_bce_forward = sigmoid_bce_forward_cpu,
    .sigmoid_bce_backward = sigmoid_bce_backward_cpu,
    .sgd_update = sgd_update_cpu,
    .adamw_update = adamw_update_cpu,
    .sgd_update_rows = sgd_update_rows_cpu,
    .adamw_update_rows = adamw_update_rows_cpu,
    .row_sum = row_sum_cpu,
    .row_argmax = row_argmax_cpu,
    .row_topk = row_topk_cpu,
};
