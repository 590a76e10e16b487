/* net_score.c — a net's inference over a dataset in batches on the backend; only probabilities
 * come back. */
#include "trainer/net.h"

#include <stdlib.h>

#include "trainer/batch.h"

int tml_net_score(TmlNet *m, const TmlDataset *ds, int batch_size, float *probs, TmlError *err) {
    int C = m->spec.n_out;
    TmlBatcher *bt = tml_batcher_new_pinned(ds, m->spec.in_dim, batch_size, 0, tml_backend_is_gpu(m->be) ? m->be : NULL);
    if (!bt) return tml_fail(err, "out of host memory scoring %lld rows", (long long)ds->n_rows);
    for (int64_t s = 0; s < ds->n_rows; s += batch_size) {
        int n = (int)(ds->n_rows - s < batch_size ? ds->n_rows - s : batch_size);
        const TmlBatch *b = tml_batcher_fill(bt, NULL, s, n);
        if (!b || tml_net_load_batch(m, b, err) < 0) {
            if (!b) tml_fail(err, "out of host memory assembling a batch");
            tml_batcher_free(bt);
            return -1;
        }
        tml_net_forward(m, NULL);
        tml_download(m->be, probs + (size_t)s * C, m->d_probs, (size_t)n * C * sizeof(float));
    }
    tml_batcher_free(bt);
    return 0;
}
