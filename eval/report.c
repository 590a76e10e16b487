/* report.c — tml_report_write (and tml_report_write_files for other reports, e.g. drift's): the report files, each written in full to a temporary name
 * in the target folder and only then renamed into place, all three after all have succeeded. */
#include "eval/report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "eval/report_util.h"

static int eval_json(FILE *f, const void *in, TmlError *err) { return tml_report_write_json(f, in, err); }
static int eval_md(FILE *f, const void *in, TmlError *err) { return tml_report_write_md(f, in, err); }
static int eval_html(FILE *f, const void *in, TmlError *err) { return tml_report_write_html(f, in, err); }

static const TmlReportFile REPORT_FILES[] = {
    {"report.json", eval_json},
    {"report.md", eval_md},
    {"report.html", eval_html},
};
enum { N_REPORT_FILES = sizeof REPORT_FILES / sizeof REPORT_FILES[0] };

/* Writes one file to a fresh temporary name in dir; on success *tmp holds that name (caller
 * renames or unlinks it, and frees it). */
static int write_temp(const char *dir, const TmlReportFile *rf, const void *in, char **tmp, TmlError *err) {
    size_t n = strlen(dir) + strlen(rf->name) + 32;
    char *path = malloc(n);
    if (!path) return tml_fail(err, "report: out of memory");
    snprintf(path, n, "%s/.%s.tmp.XXXXXX", dir, rf->name);
    int fd = mkstemp(path);
    if (fd < 0) {
        int e = errno;
        tml_fail(err, "%s: cannot create a file in the report folder: %s", dir, strerror(e));
        free(path);
        return -1;
    }
    fchmod(fd, 0644); /* mkstemp makes 0600; a report is meant to be read by CI and people */
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        unlink(path);
        free(path);
        return tml_fail(err, "%s: cannot open for writing", dir);
    }
    errno = 0;
    int rc = rf->write(f, in, err);
    size_t nl = strlen(rf->name);
    if (rc != 0 && !strncmp(err->msg, rf->name, nl) && !strncmp(err->msg + nl, ": write failed", 14)) {
        /* the writer's own I/O error ("report.json: write failed: ..."): name the folder, say what to do */
        int e = errno ? errno : EIO;
        rc = tml_fail(err, "%s/%s: write failed: %s%s; no report was written", dir, rf->name, strerror(e),
                      e == ENOSPC ? " (free some space or write elsewhere)" : "");
    }
    if (rc == 0 && (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0)) {
        int e = errno;
        rc = tml_fail(err, "%s/%s: write failed: %s%s; no report was written", dir, rf->name, strerror(e),
                      e == ENOSPC ? " (free some space or write elsewhere)" : "");
    }
    if (fclose(f) != 0 && rc == 0) rc = tml_fail(err, "%s/%s: write failed on close", dir, rf->name);
    if (rc) {
        unlink(path);
        free(path);
        return -1;
    }
    *tmp = path;
    return 0;
}

int tml_report_write(const char *dir, const TmlReportInput *in, TmlError *err) {
    if (tml_report_check_input(in, err)) return -1;
    return tml_report_write_files(dir, REPORT_FILES, N_REPORT_FILES, in, err);
}

int tml_report_write_files(const char *dir, const TmlReportFile *files, int n_files, const void *in, TmlError *err) {
    if (n_files > 8) return tml_fail(err, "report: at most 8 files");
    struct stat sb;
    int existed = stat(dir, &sb) == 0;
    if (tml_report_mkdirs(dir, err)) return -1;
    char *tmp[8] = {0};
    int rc = 0;
    for (int i = 0; i < n_files && rc == 0; i++) rc = write_temp(dir, &files[i], in, &tmp[i], err);
    for (int i = 0; i < n_files && rc == 0; i++) {
        size_t n = strlen(dir) + strlen(files[i].name) + 2;
        char *final = malloc(n);
        if (!final) {
            rc = tml_fail(err, "report: out of memory");
            break;
        }
        snprintf(final, n, "%s/%s", dir, files[i].name);
        if (rename(tmp[i], final) != 0) {
            int e = errno;
            rc = tml_fail(err, "%s: cannot rename into place: %s", final, strerror(e));
        } else {
            free(tmp[i]);
            tmp[i] = NULL;
        }
        free(final);
    }
    for (int i = 0; i < n_files; i++) {
        if (tmp[i]) unlink(tmp[i]);
        free(tmp[i]);
    }
    if (rc && !existed) rmdir(dir); /* the folder made for a report that could not be written */
    return rc;
}
