/* backend_cuda.c — fills the backend table with the CUDA ops of kernels/cuda (compiled only when
 * the Makefile found nvcc; the table is built in C for its designated initialisers). */
#ifdef TML_HAVE_CUDA
#include "kernels/backend_impl.h"
#include "kernels/cuda/cuda_ops.h"

const TmlBackendOps tml_cuda_ops = {
    .name = "cuda",
    .is_gpu = 1,
    .ctx_free = tml_cuda_ctx_free,
    .peak_gbps = tml_cuda_peak_gbps,
    .alloc = tml_cuda_alloc,
    .free = tml_cuda_free,
    .upload = tml_cuda_upload,
    .download = tml_cuda_download,
    .copy = tml_cuda_copy,
    .zero = tml_cuda_zero,
    .fill = tml_cuda_fill,
    .sync = tml_cuda_sync,
    .sgemm = tml_cuda_sgemm,
    .scale = tml_cuda_scale,
    .axpy = tml_cuda_axpy,
    .sum_squares = tml_cuda_sum_squares,
    .bias_add_forward = tml_cuda_bias_add_forward,
    .bias_add_backward = tml_cuda_bias_add_backward,
    .relu_forward = tml_cuda_relu_forward,
    .relu_backward = tml_cuda_relu_backward,
    .embbag_forward = tml_cuda_embbag_forward,
    .embbag_backward = tml_cuda_embbag_backward,
    .softmax_xent_forward = tml_cuda_softmax_xent_forward,
    .softmax_xent_backward = tml_cuda_softmax_xent_backward,
    .sigmoid_bce_forward = tml_cuda_sigmoid_bce_forward,
    .sigmoid_bce_backward = tml_cuda_sigmoid_bce_backward,
    .sgd_update = tml_cuda_sgd_update,
    .adamw_update = tml_cuda_adamw_update,
    .sgd_update_rows = tml_cuda_sgd_update_rows,
    .adamw_update_rows = tml_cuda_adamw_update_rows,
    .row_sum = tml_cuda_row_sum,
    .row_argmax = tml_cuda_row_argmax,
    .row_topk = tml_cuda_row_topk,
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
