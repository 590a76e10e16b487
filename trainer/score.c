/* score.c — inference over a dataset in batches on the backend; only probabilities come back. */
#include "trainer/score.h"

#include <stdlib.h>

#include "trainer/batch.h"

float *tml_score_dataset(TmlModel *m, const TmlDataset *ds, int batch_size, TmlError *err) {
    int C = m->spec.n_out;
    float *probs = malloc((size_t)(ds->n_rows > 0 ? ds->n_rows : 1) * (size_t)C * sizeof(float));
    TmlBatcher *bt = tml_batcher_new(ds, m->spec.in_dim, batch_size, 0);
    if (!probs || !bt) {
        free(probs);
        tml_batcher_free(bt);
        tml_fail(err, "out of host memory scoring %lld rows", (long long)ds->n_rows);
        return NULL;
    }
    for (int64_t s = 0; s < ds->n_rows; s += batch_size) {
        int n = (int)(ds->n_rows - s < batch_size ? ds->n_rows - s : batch_size);
        const TmlBatch *b = tml_batcher_fill(bt, NULL, s, n);
        if (!b || tml_model_load_batch(m, b, err) < 0) {
            if (!b) tml_fail(err, "out of host memory assembling a batch");
            free(probs);
            tml_batcher_free(bt);
            return NULL;
        }
        tml_model_forward(m, NULL);
        tml_download(m->be, probs + (size_t)s * C, m->d_probs, (size_t)n * C * sizeof(float));
    }
    tml_batcher_free(bt);
    return probs;
}
