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
    .embedding_forward = tml_cuda_embedding_forward,
    .embedding_backward = tml_cuda_embedding_backward,
    .layernorm_forward = tml_cuda_layernorm_forward,
    .layernorm_backward = tml_cuda_layernorm_backward,
    .gelu_forward = tml_cuda_gelu_forward,
    .gelu_backward = tml_cuda_gelu_backward,
    .masked_softmax_forward = tml_cuda_masked_softmax_forward,
    .masked_softmax_backward = tml_cuda_masked_softmax_backward,
    .dropout = tml_cuda_dropout,
    .sgemm_batched = tml_cuda_sgemm_batched,
    .pool_forward = tml_cuda_pool_forward,
    .pool_backward = tml_cuda_pool_backward,
    .attention_forward = tml_cuda_attention_forward,
    .attention_backward = tml_cuda_attention_backward,
    .attention_saved_floats = tml_cuda_attention_saved_floats,
    .attention_scratch_floats = tml_cuda_attention_scratch_floats,
};
#else
/* ISO C forbids an empty translation unit. */
typedef int tml_backend_cuda_unused;
#endif
