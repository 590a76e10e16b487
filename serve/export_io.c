/* export_io.c — an export on disk: the directory-level write (checksum, temp names, fsync, rename,
 * cleanup of the other format) and read (which file of a directory or path, then checksum and
 * consistency checks), dispatching to the format halves in export_h5.c and export_st.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "serve/export_formats.h"
#include "serve/export_io.h"

static char *join(const char *dir, const char *name, const char *suffix) {
    size_t n = strlen(dir) + strlen(name) + strlen(suffix) + 2;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s%s", dir, name, suffix);
    return p;
}

static void sync_file(const char *path) {
    int fd = open(path, O_RDONLY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

/* A writer's message names the temporary file it failed on ("DIR/model.h5.tmp-PID: write failed:
 * ..."); the user asked for DIR/model.h5, and the temporary file is removed: name that instead. */
static void name_final(TmlError *err, char *const *tmp, char *const *final) {
    for (int k = 0; k < 2; k++) {
        size_t n = tmp[k] ? strlen(tmp[k]) : 0;
        if (n && !strncmp(err->msg, tmp[k], n)) {
            char rest[TML_ERROR_MSG_MAX];
            snprintf(rest, sizeof rest, "%s", err->msg + n);
            tml_fail(err, "%s%s", final[k], rest);
            return;
        }
    }
}

int tml_export_write(TmlExport *e, const char *dir, TmlExportFormat fmt, TmlError *err) {
    if (tml_export_validate(e, "export", err) || tml_export_digest(e, e->checksum, err)) return -1;
    int made_dir = 0;
    struct stat st;
    if (stat(dir, &st) == 0) {
        if (!S_ISDIR(st.st_mode)) return tml_fail(err, "%s: exists and is not a directory; pass a directory to --out", dir);
    } else if (mkdir(dir, 0777) == 0) {
        made_dir = 1;
    } else {
        return tml_fail(err, "%s: cannot create the directory (%s); does its parent exist?", dir, strerror(errno));
    }
    char suffix[48];
    snprintf(suffix, sizeof suffix, ".tmp-%ld", (long)getpid());
    const char *names[2] = {fmt == TML_EXPORT_HDF5 ? "model.h5" : "model.safetensors",
                            fmt == TML_EXPORT_HDF5 ? NULL : "model.json"};
    char *final[2] = {NULL, NULL}, *tmp[2] = {NULL, NULL};
    int rc = -1;
    for (int k = 0; k < 2; k++) {
        if (!names[k]) continue;
        final[k] = join(dir, names[k], "");
        tmp[k] = join(dir, names[k], suffix);
        if (!final[k] || !tmp[k]) {
            tml_fail(err, "out of memory");
            goto done;
        }
    }
    if ((fmt == TML_EXPORT_HDF5 ? tml_export_write_h5(e, tmp[0], err) : tml_export_write_st(e, tmp[0], tmp[1], err))) {
        name_final(err, tmp, final);
        goto done;
    }
    for (int k = 0; k < 2; k++)
        if (tmp[k]) sync_file(tmp[k]);
    for (int k = 0; k < 2; k++)
        if (tmp[k] && rename(tmp[k], final[k]) != 0) {
            tml_fail(err, "%s: cannot rename %s into place (%s)", final[k], tmp[k], strerror(errno));
            goto done;
        }
    /* one export per directory: drop the other format's files from an earlier export */
    const char *other[2] = {fmt == TML_EXPORT_HDF5 ? "model.safetensors" : "model.h5",
                            fmt == TML_EXPORT_HDF5 ? "model.json" : NULL};
    for (int k = 0; k < 2; k++) {
        if (!other[k]) continue;
        char *p = join(dir, other[k], "");
        if (p) unlink(p);
        free(p);
    }
    rc = 0;
done:
    for (int k = 0; k < 2; k++) {
        if (rc != 0 && tmp[k]) unlink(tmp[k]);
        free(tmp[k]);
        free(final[k]);
    }
    if (rc != 0 && made_dir) rmdir(dir);
    return rc;
}

static int exists(const char *p) { return access(p, F_OK) == 0; }

static int ends_with(const char *s, const char *suf) {
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && !strcmp(s + n - m, suf);
}

/* The JSON's safetensors sibling (same directory, model.safetensors). */
static char *sibling(const char *path, const char *name) {
    const char *slash = strrchr(path, '/');
    if (!slash) return strdup(name);
    size_t d = (size_t)(slash - path);
    char *p = malloc(d + strlen(name) + 2);
    if (p) snprintf(p, d + strlen(name) + 2, "%.*s/%s", (int)d, path, name);
    return p;
}

/* After a format reader has checked the format name and version: the checksum first (any edited
 * byte, metadata or weights, is reported as such), then the shapes. */
static int check_loaded(const TmlExport *e, const char *where, TmlError *err) {
    char sum[80];
    if (tml_export_digest(e, sum, err)) return -1;
    if (strcmp(sum, e->checksum) != 0)
        return tml_fail(err, "%s: checksum mismatch (stored %s, computed %s): the export was modified or damaged; "
                        "export the model again", where, e->checksum[0] ? e->checksum : "none", sum);
    return tml_export_validate(e, where, err);
}

TmlExport *tml_export_read(const char *path, TmlError *err) {
    struct stat st;
    if (stat(path, &st) != 0) {
        tml_fail(err, "%s: no such export (give the directory `ticketml export` wrote, or its model.h5 / model.json)",
                 path);
        return NULL;
    }
    char *h5 = NULL, *js = NULL, *stf = NULL;
    const char *where = path;
    TmlExport *e = NULL;
    if (S_ISDIR(st.st_mode)) {
        h5 = join(path, "model.h5", "");
        js = join(path, "model.json", "");
        stf = join(path, "model.safetensors", "");
        if (!h5 || !js || !stf) {
            tml_fail(err, "out of memory");
            goto done;
        }
        int has_h5 = exists(h5), has_js = exists(js);
        if (has_h5 && has_js) {
            tml_fail(err, "%s: holds both model.h5 and model.json; pass the one to load", path);
            goto done;
        }
        if (!has_h5 && !has_js) {
            tml_fail(err, "%s: no model.h5 or model.json here; write one with `ticketml export MODEL.h5 --out %s`", path,
                     path);
            goto done;
        }
        e = has_h5 ? tml_export_read_h5(h5, err) : tml_export_read_st(js, stf, err);
        where = has_h5 ? h5 : js;
    } else if (ends_with(path, ".json") || ends_with(path, ".safetensors")) {
        js = ends_with(path, ".json") ? strdup(path) : sibling(path, "model.json");
        stf = ends_with(path, ".json") ? sibling(path, "model.safetensors") : strdup(path);
        if (!js || !stf) {
            tml_fail(err, "out of memory");
            goto done;
        }
        e = tml_export_read_st(js, stf, err);
        where = js;
    } else {
        e = tml_export_read_h5(path, err);
        where = path;
    }
    if (e && check_loaded(e, where, err)) {
        tml_export_free(e);
        e = NULL;
    }
done:
    free(h5);
    free(js);
    free(stf);
    return e;
}
