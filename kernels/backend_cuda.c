/* backend_cuda.c — fills the backend table with the CUDA ops of kernels/cuda (compiled only when
 * the Makefile found nvcc; the table is built in C for its designated initialisers). */
#ifdef TML_HAVE_CUDA
#include "kernels/backend_impl.h"
#include "kernels/cuda/cuda_ops.h"

const TmlBackendOps tml_cuda_ops = {
    .name = "cuda",
    .is_gpu = 1,
    .ctx_free = ctx_free_cuda,
    .peak_gbps = peak_gbps_cuda,
    .alloc = alloc_cuda,
    .free = free_cuda,
    .upload = upload_cuda,
    .download = download_cuda,
    .copy = copy_cuda,
    .zero = zero_cuda,
    .fill = fill_cuda,
    .sync = sync_cuda,
    .sgemm = sgemm_cuda,
    .scale = scale_cuda,
    .axpy = axpy_cuda,
    .sum_squares = sum_squares_cuda,
    .bias_add_forward = bias_add_forward_cuda,
    .bias_add_backward = bias_add_backward_cuda,
    .relu_forward = relu_forward_cuda,
    .relu_backward = relu_backward_cuda,
    .embbag_forward = embbag_forward_cuda,
    .embbag_backward = embbag_backward_cuda,
    .softmax_xent_forward = softmax_xent_forward_cuda,
    .softmax_xent_backward = softmax_xent_backward_cuda,
    .sigmoid_bce_forward = sigmoid_bce_forward_cuda,
    .sigmoid_bce_backward = sigmoid_bce_backward_cuda,
    .sgd_update = sgd_update_cuda,
    .adamw_update = adamw_update_cuda,
    .sgd_update_rows = sgd_update_rows_cuda,
    .adamw_update_rows = adamw_update_rows_cuda,
    .row_sum = row_sum_cuda,
    .row_argmax = row_argmax_cuda,
    .row_topk = row_topk_cuda,
    .gbdt_hist = tml_cuda_gbdt_hist,
    .gbdt_hist_subtract = tml_cuda_gbdt_hist_subtract,
    .gbdt_split_find = tml_cuda_gbdt_split_find,
    .gbdt_partition = tml_cuda_gbdt_partition,
    .gbdt_leaf_add = tml_cuda_gbdt_leaf_add,
    .gbdt_gradients = tml_cuda_gbdt_gradients,
    .gbdt_predict = tml_cuda_gbdt_predict,
    .gbdt_predict_binned = tml_cuda_gbdt_predict_binned,
};
#else
/* ISO C forbids an empty translation unit. */
typedef int tml_backend_cuda_unused;
#endif
