/* modelfile.c — saving and loading model / checkpoint files (HDF5): built in memory, checksummed,
 * written atomically; verified on load. */
#include "trainer/modelfile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data/h5.h"

/* The training curve: group `name` with dataset entries (n, 6) f64 = epoch, step, train_loss,
 * valid_metric, valid_accuracy, elapsed_s, and attribute metric. Nothing when the log is empty. */
static int save_log(hid_t loc, const char *name, const TmlTrainState *st, TmlError *err) {
    if (st->n_log <= 0) return 0;
    hid_t g = H5Gcreate2(loc, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0) return tml_fail(err, "HDF5: cannot create group '%s'", name);
    hsize_t dims[2] = {(hsize_t)st->n_log, 6};
    int rc = tml_h5_write(g, "entries", H5T_NATIVE_DOUBLE, 2, dims, st->log, 0) ||
                     tml_h5_attr_write_str(g, "metric", st->log_metric, err)
                 ? -1
                 : 0;
    H5Gclose(g);
    return rc ? tml_fail(err, "HDF5: cannot write the training log") : 0;
}

static int load_log(hid_t loc, const char *name, TmlTrainState *st) {
    if (!tml_h5_exists(loc, name)) return 0;
    hid_t g = H5Gopen2(loc, name, H5P_DEFAULT);
    if (g < 0) return -1;
    int64_t rows = 0, n = tml_h5_size(g, "entries", &rows);
    TmlError e;
    char *metric = tml_h5_attr_read_str(g, "metric", &e);
    int rc = -1;
    if (n == rows * 6 && rows > 0 && rows <= TML_TRAIN_LOG_MAX && tml_h5_read(g, "entries", H5T_NATIVE_DOUBLE, st->log) == 0) {
        st->n_log = (int)rows;
        snprintf(st->log_metric, sizeof st->log_metric, "%s", metric ? metric : "");
        rc = 0;
    }
    free(metric);
    H5Gclose(g);
    return rc;
}

static int save_state(hid_t file, const TmlTrainState *st, TmlError *err) {
    hid_t g = H5Gcreate2(file, "state", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0) return tml_fail(err, "HDF5: cannot create group 'state'");
    int rc = (tml_h5_attr_write_i64(g, "epoch", st->epoch, err) || tml_h5_attr_write_i64(g, "step", st->step, err) ||
              tml_h5_attr_write_i64(g, "total_steps", st->total_steps, err) ||
              tml_h5_attr_write_f64(g, "best_metric", st->best_metric, err) ||
              tml_h5_attr_write_i64(g, "best_epoch", st->best_epoch, err) ||
              tml_h5_attr_write_i64(g, "bad_epochs", st->bad_epochs, err) ||
              tml_h5_attr_write_i64(g, "finished", st->finished, err) ||
              tml_h5_attr_write_i64(g, "batch_pos", st->batch_pos, err) ||
              tml_h5_write_u64(g, "rng", st->rng.s, 4, err) || save_log(g, "log", st, err))
                 ? -1
                 : 0;
    H5Gclose(g);
    return rc;
}

static int load_state(hid_t file, TmlTrainState *st, TmlError *err) {
    hid_t g = H5Gopen2(file, "state", H5P_DEFAULT);
    if (g < 0) return tml_fail(err, "group 'state' is missing");
    int64_t epoch = 0, best_epoch = -1, bad = 0, finished = 0;
    int rc = (tml_h5_attr_read_i64(g, "epoch", &epoch, err) || tml_h5_attr_read_i64(g, "step", &st->step, err) ||
              tml_h5_attr_read_i64(g, "total_steps", &st->total_steps, err) ||
              tml_h5_attr_read_f64(g, "best_metric", &st->best_metric, err) ||
              tml_h5_attr_read_i64(g, "best_epoch", &best_epoch, err) ||
              tml_h5_attr_read_i64(g, "bad_epochs", &bad, err) ||
              tml_h5_attr_read_i64(g, "finished", &finished, err) ||
              tml_h5_attr_read_i64(g, "batch_pos", &st->batch_pos, err) || tml_h5_read_u64(g, "rng", st->rng.s, 4, err))
                 ? -1
                 : 0;
    st->epoch = (int)epoch;
    st->best_epoch = (int)best_epoch;
    st->bad_epochs = (int)bad;
    st->finished = (int)finished;
    if (rc == 0 && load_log(g, "log", st)) rc = tml_fail(err, "group 'state/log' is damaged");
    H5Gclose(g);
    return rc;
}

static int save(const char *path, const TmlConfig *cfg, const char *task, const TmlFeatures *f, const TmlModel *m,
                const TmlTrainState *state, int with_optim, const TmlTrainKeep *keep, const TmlTrainState *log,
                TmlError *err) {
    hid_t file = tml_h5_mem_create(1);
    if (file < 0) return tml_fail(err, "%s: out of memory creating the model file", path);
    char *cfg_text = tml_config_to_string(cfg);
    TmlError e2;
    int rc = 0;
    if (tml_h5_attr_write_str(file, "format", TML_MODEL_FORMAT, &e2) ||
        tml_h5_attr_write_i64(file, "format_version", TML_MODEL_FORMAT_VERSION, &e2) ||
        tml_h5_attr_write_str(file, "task", task ? task : "", &e2) ||
        tml_h5_attr_write_str(file, "config", cfg_text ? cfg_text : "", &e2) ||
        tml_model_save(m, file, with_optim, &e2) || tml_features_save(file, "features", f, &e2) ||
        (state && save_state(file, state, &e2)) || (keep && tml_train_keep_save(keep, m, file, &e2)) ||
        (log && save_log(file, "training_log", log, &e2)))
        rc = tml_fail(err, "%s: cannot write the model: %s", path, e2.msg);
    free(cfg_text);
    if (rc) {
        H5Fclose(file);
        return -1;
    }
    return tml_h5_mem_save(file, path, 1, err);
}

int tml_modelfile_save(const char *path, const TmlConfig *cfg, const char *task, const TmlFeatures *f,
                       const TmlModel *m, const TmlTrainState *state, int with_optim, TmlError *err) {
    return save(path, cfg, task, f, m, state, with_optim, NULL, NULL, err);
}

int tml_modelfile_save_final(const char *path, const TmlConfig *cfg, const char *task, const TmlFeatures *f,
                             const TmlModel *m, const TmlTrainState *log, TmlError *err) {
    return save(path, cfg, task, f, m, NULL, 0, NULL, log, err);
}

int tml_modelfile_save_checkpoint(const char *path, const TmlConfig *cfg, const char *task, const TmlFeatures *f,
                                  const TmlModel *m, const TmlTrainState *state, int with_optim,
                                  const TmlTrainKeep *keep, TmlError *err) {
    return save(path, cfg, task, f, m, state, with_optim, keep, NULL, err);
}

/* FNV-1a over the file's bytes: a cheap, stable fingerprint for reports and compare. */
char *tml_file_fingerprint(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return strdup("unknown");
    uint64_t h = 1469598103934665603ull;
    unsigned char buf[1 << 16];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        for (size_t i = 0; i < n; i++) h = (h ^ buf[i]) * 1099511628211ull;
    fclose(f);
    char *s = malloc(17);
    if (s) snprintf(s, 17, "%016llx", (unsigned long long)h);
    return s;
}

TmlLoadedModel *tml_modelfile_load(const char *path, TmlBackend *be, int with_optim, TmlError *err) {
    tml_h5_quiet();
    if (access(path, R_OK) != 0) {
        tml_fail(err, "%s: cannot open model file (no such file or not readable)", path);
        return NULL;
    }
    int checked = 0;
    TmlError eo;
    hid_t file = tml_h5_open_checked(path, &checked, &eo);
    if (file < 0) {
        if (strstr(eo.msg, "the file is damaged")) tml_fail(err, "%s", eo.msg);
        else tml_fail(err, "%s: not a ticketml model (not an HDF5 file, or a truncated one); train one with `ticketml train`", path);
        return NULL;
    }
    TmlLoadedModel *lm = calloc(1, sizeof *lm);
    TmlError e2;
    char *format = tml_h5_attr_read_str(file, "format", &e2);
    int64_t version = 0;
    char *cfg_text = NULL;
    if (!lm) goto fail_msg;
    if (!format || strcmp(format, TML_MODEL_FORMAT) != 0) {
        tml_fail(err, "%s: not a ticketml model file (format attribute '%s')", path, format ? format : "missing");
        goto fail;
    }
    if (tml_h5_attr_read_i64(file, "format_version", &version, &e2)) goto fail_msg;
    if (version > TML_MODEL_FORMAT_VERSION || version < 1) {
        tml_fail(err, "%s: model format version %lld is not supported by this ticketml (reads up to %d); upgrade ticketml",
                 path, (long long)version, TML_MODEL_FORMAT_VERSION);
        goto fail;
    }
    if (version >= 2 && !checked) { /* version 2 files always carry one: its header was damaged */
        tml_fail(err, "%s: the file is damaged: its checksum block is missing or unreadable; use an intact copy or "
                      "write it again", path);
        goto fail;
    }
    lm->task = tml_h5_attr_read_str(file, "task", &e2);
    cfg_text = tml_h5_attr_read_str(file, "config", &e2);
    if (!lm->task || !cfg_text) goto fail_msg;
    if (!(lm->config = tml_config_parse(cfg_text, path, &e2))) goto fail_msg;
    if (!(lm->features = tml_features_load(file, "features", &e2))) goto fail_msg;
    if (!(lm->model = tml_model_load(file, be, with_optim, &e2))) goto fail_msg;
    if (load_log(file, "training_log", &lm->state)) {
        tml_fail(err, "%s: the training_log group is damaged", path);
        goto fail;
    }
    if (tml_h5_exists(file, "state")) {
        if (load_state(file, &lm->state, &e2)) goto fail_msg;
        lm->has_state = 1;
    }
    if (with_optim && !(lm->keep = tml_train_keep_load(file, lm->model, &e2)) && e2.msg[0]) goto fail_msg;
    free(format);
    free(cfg_text);
    H5Fclose(file);
    return lm;
fail_msg:
    tml_fail(err, "%s: cannot load model: %s", path, lm ? e2.msg : "out of memory");
fail:
    free(format);
    free(cfg_text);
    tml_loaded_model_free(lm);
    H5Fclose(file);
    return NULL;
}

void tml_loaded_model_free(TmlLoadedModel *lm) {
    if (!lm) return;
    tml_config_free(lm->config);
    tml_features_free(lm->features);
    tml_model_free(lm->model);
    tml_train_keep_free(lm->keep);
    free(lm->task);
    free(lm);
}

char *tml_loaded_model_tickets(const TmlLoadedModel *lm, const char *given) {
    if (!given && lm->features->use_history) given = tml_config_str(lm->config, "data.tickets", NULL);
    return given ? tml_data_path(given) : NULL;
}
