/* file.c — atomic whole-file and streamed writes, output locks, same-file and output-folder checks,
 * CRC-32C (see file.h). */
#include "data/file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* "path.tmp-PID": beside path (rename stays inside one file system), one per process. Caller frees. */
static char *temp_name(const char *path) {
    size_t n = strlen(path) + 32;
    char *t = malloc(n);
    if (t) snprintf(t, n, "%s.tmp-%ld", path, (long)getpid());
    return t;
}

/* The folder holding path (malloc'd; "." for a bare name). Caller frees. */
static char *folder_of(const char *path) {
    char *c = strdup(path);
    if (!c) return NULL;
    char *d = strdup(dirname(c));
    free(c);
    return d;
}

/* Makes a rename durable: fsync of the folder (best effort: some file systems refuse it). */
static void sync_folder(const char *path) {
    char *d = folder_of(path);
    if (!d) return;
    int fd = open(d, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(d);
}

static int write_fd(int fd, const void *buf, size_t n) {
    const char *p = buf;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (w == 0) {
            errno = EIO;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int tml_file_write(const char *path, const void *buf, size_t n, int atomic, TmlError *err) {
    char *tmp = atomic ? temp_name(path) : NULL;
    if (atomic && !tmp) return tml_fail(err, "%s: out of memory", path);
    const char *target = atomic ? tmp : path;
    int fd = open(target, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        return tml_fail(err, "%s: cannot create the file: %s (does the folder exist and is it writable?)", path,
                        strerror(e));
    }
    int rc = 0;
    if (write_fd(fd, buf, n) < 0 || fsync(fd) < 0) {
        int e = errno;
        rc = tml_fail(err, "%s: write failed: %s%s; nothing was written", path, strerror(e),
                      e == ENOSPC ? " (free some space or write elsewhere)" : "");
    }
    if (close(fd) < 0 && rc == 0) {
        int e = errno;
        rc = tml_fail(err, "%s: write failed on close: %s; nothing was written", path, strerror(e));
    }
    if (rc == 0 && atomic && rename(tmp, path) != 0) {
        int e = errno;
        rc = tml_fail(err, "%s: cannot rename %s into place: %s", path, tmp, strerror(e));
    }
    if (rc != 0) unlink(target);
    else if (atomic) sync_folder(path);
    free(tmp);
    return rc;
}

int tml_file_out_open(TmlFileOut *o, const char *path, TmlError *err) {
    memset(o, 0, sizeof *o);
    o->path = strdup(path);
    o->tmp = temp_name(path);
    if (!o->path || !o->tmp) {
        tml_file_out_abort(o);
        return tml_fail(err, "%s: out of memory", path);
    }
    int fd = open(o->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || !(o->f = fdopen(fd, "w"))) {
        int e = errno;
        if (fd >= 0) close(fd);
        tml_file_out_abort(o);
        return tml_fail(err, "%s: cannot create the file: %s (does the folder exist and is it writable?)", path,
                        strerror(e));
    }
    return 0;
}

int tml_file_out_commit(TmlFileOut *o, TmlError *err) {
    int rc = 0, e = 0;
    if (fflush(o->f) != 0 || ferror(o->f) || fsync(fileno(o->f)) != 0) e = errno ? errno : EIO, rc = -1;
    if (fclose(o->f) != 0 && rc == 0) e = errno ? errno : EIO, rc = -1;
    o->f = NULL;
    if (rc == 0 && rename(o->tmp, o->path) != 0) {
        e = errno;
        tml_fail(err, "%s: cannot rename %s into place: %s", o->path, o->tmp, strerror(e));
        rc = -2;
    }
    if (rc == -1)
        tml_fail(err, "%s: write failed: %s%s; nothing was written", o->path, strerror(e),
                 e == ENOSPC ? " (free some space or write elsewhere)" : "");
    if (rc == 0) sync_folder(o->path);
    else unlink(o->tmp);
    free(o->tmp);
    free(o->path);
    o->tmp = o->path = NULL;
    return rc == 0 ? 0 : -1;
}

void tml_file_out_abort(TmlFileOut *o) {
    if (o->f) fclose(o->f);
    if (o->tmp) unlink(o->tmp);
    free(o->tmp);
    free(o->path);
    memset(o, 0, sizeof *o);
}

int tml_file_check(FILE *f, const char *path, TmlError *err) {
    errno = 0;
    if (fflush(f) == 0 && !ferror(f)) return 0;
    int e = errno ? errno : EIO;
    return tml_fail(err, "%s: write failed: %s%s", path, strerror(e),
                    e == ENOSPC ? " (free some space or write elsewhere)" : "");
}

/* ---- locks ------------------------------------------------------------------------------------- */

struct TmlFileLock {
    int fd;
    char *path; /* the lock file */
};

TmlFileLock *tml_file_lock(const char *path, const char *what, TmlError *err) {
    TmlFileLock *l = calloc(1, sizeof *l);
    size_t n = strlen(path) + 8;
    if (!l || !(l->path = malloc(n))) {
        free(l);
        tml_fail(err, "%s: out of memory", path);
        return NULL;
    }
    snprintf(l->path, n, "%s.lock", path);
    /* The holder removes the lock file before releasing; a process that opened the old file then
     * locks an unlinked inode, so after locking check that the path still names what we locked. */
    for (int attempt = 0; attempt < 100; attempt++) {
        int fd = open(l->path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) {
            int e = errno;
            tml_fail(err, "%s: cannot create the lock file %s: %s (does the folder exist and is it writable?)", path,
                     l->path, strerror(e));
            break;
        }
        if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
            int e = errno;
            char pid[32] = "";
            ssize_t k = pread(fd, pid, sizeof pid - 1, 0);
            pid[k > 0 ? k : 0] = '\0';
            pid[strcspn(pid, "\n")] = '\0';
            close(fd);
            if (e == EWOULDBLOCK)
                tml_fail(err, "%s: another %s is writing this file (process %s holds %s); wait for it to finish or "
                              "choose another --out", path, what, pid[0] ? pid : "?", l->path);
            else
                tml_fail(err, "%s: cannot lock %s: %s", path, l->path, strerror(e));
            break;
        }
        struct stat a, b;
        if (fstat(fd, &a) == 0 && stat(l->path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
            char pid[32];
            int k = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
            int noted = ftruncate(fd, 0) == 0 && pwrite(fd, pid, (size_t)k, 0) == k; /* only for messages */
            (void)noted;
            l->fd = fd;
            return l;
        }
        close(fd); /* lost the race with a holder removing the file: try the new one */
    }
    if (!err || !err->msg[0]) tml_fail(err, "%s: cannot take the lock %s", path, l->path);
    free(l->path);
    free(l);
    return NULL;
}

void tml_file_unlock(TmlFileLock *l) {
    if (!l) return;
    unlink(l->path); /* while still holding it: see tml_file_lock */
    close(l->fd);
    free(l->path);
    free(l);
}

/* ---- checks ------------------------------------------------------------------------------------ */

int tml_file_same(const char *a, const char *b) {
    struct stat x, y;
    if (!a || !b || stat(a, &x) != 0 || stat(b, &y) != 0) return 0;
    return x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

int tml_file_check_output(const char *path, const char *what, TmlError *err) {
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return tml_fail(err, "%s %s: is a folder; name the file to write, e.g. %s %s/model.h5", what, path, what, path);
    char *d = folder_of(path);
    if (!d) return tml_fail(err, "%s: out of memory", path);
    int rc = 0;
    if (stat(d, &st) != 0 || !S_ISDIR(st.st_mode))
        rc = tml_fail(err, "%s %s: the folder %s does not exist; create it first (mkdir -p %s)", what, path, d, d);
    else if (access(d, W_OK | X_OK) != 0)
        rc = tml_fail(err, "%s %s: the folder %s is not writable (%s); choose another %s or fix its permissions", what,
                      path, d, strerror(errno), what);
    free(d);
    return rc;
}

/* ---- CRC-32C ----------------------------------------------------------------------------------- */

static uint32_t crc_table[8][256];
static int crc_table_ready;

static void crc_init_table(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        crc_table[0][i] = c;
    }
    for (int t = 1; t < 8; t++)
        for (uint32_t i = 0; i < 256; i++) crc_table[t][i] = (crc_table[t - 1][i] >> 8) ^ crc_table[0][crc_table[t - 1][i] & 0xFF];
    crc_table_ready = 1;
}

/* slicing-by-8 over the reflected polynomial: the portable path */
static uint32_t crc_soft(uint32_t c, const unsigned char *p, size_t n) {
    if (!crc_table_ready) crc_init_table();
    while (n >= 8) {
        uint32_t lo = c ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
        c = crc_table[7][lo & 0xFF] ^ crc_table[6][(lo >> 8) & 0xFF] ^ crc_table[5][(lo >> 16) & 0xFF] ^
            crc_table[4][lo >> 24] ^ crc_table[3][p[4]] ^ crc_table[2][p[5]] ^ crc_table[1][p[6]] ^ crc_table[0][p[7]];
        p += 8;
        n -= 8;
    }
    while (n--) c = crc_table[0][(c ^ *p++) & 0xFF] ^ (c >> 8);
    return c;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(TML_CRC_SOFT)
__attribute__((target("sse4.2"))) static uint32_t crc_hw(uint32_t c, const unsigned char *p, size_t n) {
    uint64_t c64 = c;
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        c64 = __builtin_ia32_crc32di(c64, v);
        p += 8;
        n -= 8;
    }
    c = (uint32_t)c64;
    while (n--) c = __builtin_ia32_crc32qi(c, *p++);
    return c;
}
#define HAVE_CRC_HW 1
#endif

uint32_t tml_crc32c(uint32_t crc, const void *buf, size_t n) {
    uint32_t c = ~crc;
#ifdef HAVE_CRC_HW
    static int hw = -1;
    if (hw < 0) hw = __builtin_cpu_supports("sse4.2") ? 1 : 0;
    if (hw) return ~crc_hw(c, buf, n);
#endif
    return ~crc_soft(c, buf, n);
}
