/* h5.c — the HDF5 helpers of every ticketml file (cache, features, model, export); see h5.h.
 * Every function closes what it opens, so a failure half-way leaks no HDF5 handles. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/file.h"
#include "data/h5.h"

void tml_h5_quiet(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

void tml_h5_describe(char *buf, size_t n) {
    unsigned maj = 0, min = 0, rel = 0;
    H5get_libversion(&maj, &min, &rel);
    snprintf(buf, n, "hdf5: %u.%u.%u (compiled against %d.%d.%d)\n", maj, min, rel, H5_VERS_MAJOR, H5_VERS_MINOR,
             H5_VERS_RELEASE);
}

/* ---- whole files --------------------------------------------------------------------------------- */

#define CHECK_MAGIC "ticketml-checksum 1\n"

/* The memory of a file being built: the core driver allocates, grows and (at close) hands back its
 * buffer through the file image callbacks, so the bytes it holds are the file itself, user block
 * included at the front, and saving writes them out without a second copy of the whole (a model's
 * embedding table is hundreds of MB). The file's access property list does not keep the callbacks'
 * user data, so open memory files are found in a small table by handle. */
typedef struct Grown {
    unsigned char *buf;
    size_t size;
    int keep; /* set just before close_grown's H5Fclose: the buffer outlives the file */
    int done; /* the file is closed (buf handed over or freed): the entry may be reused */
} Grown;

#define GROWN_MAX 32
static struct {
    hid_t file;
    Grown *g;
} grown_open[GROWN_MAX];
static pthread_mutex_t grown_mu = PTHREAD_MUTEX_INITIALIZER;

static void *grown_malloc(size_t size, H5FD_file_image_op_t op, void *udata) {
    Grown *g = udata;
    (void)op;
    unsigned char *p = malloc(size ? size : 1);
    if (p && !g->buf) g->buf = p, g->size = size;
    return p;
}
static void *grown_memcpy(void *dest, const void *src, size_t size, H5FD_file_image_op_t op, void *udata) {
    (void)op, (void)udata;
    if (dest != src) memcpy(dest, src, size);
    return dest;
}
static void *grown_realloc(void *ptr, size_t size, H5FD_file_image_op_t op, void *udata) {
    Grown *g = udata;
    (void)op;
    unsigned char *p = realloc(ptr, size ? size : 1);
    if (p && (ptr == g->buf || !g->buf)) g->buf = p, g->size = size;
    return p;
}
static herr_t grown_free(void *ptr, H5FD_file_image_op_t op, void *udata) {
    Grown *g = udata;
    if (ptr && ptr == g->buf && op == H5FD_FILE_IMAGE_OP_FILE_CLOSE) {
        g->done = 1;
        if (g->keep) return 0; /* handed to close_grown's caller */
    }
    if (ptr == g->buf) g->buf = NULL, g->size = 0;
    free(ptr);
    return 0;
}
static void *grown_udata_copy(void *udata) { return udata; }
static herr_t grown_udata_free(void *udata) {
    (void)udata; /* freed by close_grown, or by the table's sweep once the file is closed */
    return 0;
}

/* Records a new memory file's Grown; entries of files closed some other way (H5Fclose on an error
 * path: their buffer is already freed) are reclaimed here. 0, or -1 when the table is full. */
static int grown_add(hid_t file, Grown *g) {
    int rc = -1;
    pthread_mutex_lock(&grown_mu);
    for (int i = 0; i < GROWN_MAX; i++)
        if (grown_open[i].g && grown_open[i].g->done) {
            free(grown_open[i].g);
            grown_open[i].g = NULL;
        }
    for (int i = 0; i < GROWN_MAX && rc < 0; i++)
        if (!grown_open[i].g) grown_open[i].file = file, grown_open[i].g = g, rc = 0;
    pthread_mutex_unlock(&grown_mu);
    return rc;
}

/* Takes an open memory file's Grown out of the table (NULL: not a file of tml_h5_mem_create's). */
static Grown *grown_take(hid_t file) {
    Grown *g = NULL;
    pthread_mutex_lock(&grown_mu);
    for (int i = 0; i < GROWN_MAX && !g; i++)
        if (grown_open[i].g && !grown_open[i].g->done && grown_open[i].file == file) {
            g = grown_open[i].g;
            grown_open[i].g = NULL;
        }
    pthread_mutex_unlock(&grown_mu);
    return g;
}

hid_t tml_h5_mem_create(int checksum) {
    tml_h5_quiet();
    static unsigned counter; /* the core driver tells open files apart by name */
    char name[64];
    snprintf(name, sizeof name, "ticketml-memory-%u-%ld.h5", counter++, (long)getpid());
    Grown *g = calloc(1, sizeof *g);
    if (!g) return -1;
    H5FD_file_image_callbacks_t cb = {grown_malloc, grown_memcpy, grown_realloc, grown_free,
                                      grown_udata_copy, grown_udata_free, g};
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS), fcpl = H5Pcreate(H5P_FILE_CREATE);
    hid_t f = -1;
    if (fapl >= 0 && fcpl >= 0 && H5Pset_fapl_core(fapl, (size_t)4 << 20, 0) >= 0 &&
        H5Pset_file_image_callbacks(fapl, &cb) >= 0 && (!checksum || H5Pset_userblock(fcpl, TML_H5_USERBLOCK) >= 0))
        f = H5Fcreate(name, H5F_ACC_TRUNC, fcpl, fapl);
    if (fapl >= 0) H5Pclose(fapl);
    if (fcpl >= 0) H5Pclose(fcpl);
    if (f >= 0 && grown_add(f, g) < 0) { /* too many open at once: close it, which frees its buffer */
        H5Fclose(f);
        f = -1;
    }
    if (f < 0) free(g);
    return f;
}

/* The user block's size (0 without one). */
static hsize_t userblock_of(hid_t file) {
    hsize_t ub = 0;
    hid_t fcpl = H5Fget_create_plist(file);
    if (fcpl >= 0) {
        if (H5Pget_userblock(fcpl, &ub) < 0) ub = 0;
        H5Pclose(fcpl);
    }
    return ub;
}

/* Flushes and closes a memory file of tml_h5_mem_create and returns the driver's own buffer: *ub
 * zeroed bytes of user block room, then the *n bytes of HDF5 (the length H5Fget_file_image gives
 * after the flush). The caller frees it. NULL when out of memory or not such a file (closed either way). */
static unsigned char *close_grown(hid_t file, size_t *ub, size_t *n) {
    Grown *g = grown_take(file);
    *ub = (size_t)userblock_of(file);
    ssize_t len = -1;
    if (g && H5Fflush(file, H5F_SCOPE_GLOBAL) >= 0) len = H5Fget_file_image(file, NULL, 0);
    if (g) g->keep = 1;
    H5Fclose(file);
    if (g && !g->done) { /* objects of the file still open: the driver closes it later and frees the
                          * buffer then, so g must outlive this (a few bytes leaked on that misuse) */
        g->keep = 0;
        return NULL;
    }
    unsigned char *buf = g ? g->buf : NULL;
    size_t size = g ? g->size : 0;
    free(g);
    if (!buf || len <= 0 || *ub + (size_t)len > size) {
        free(buf);
        return NULL;
    }
    memset(buf, 0, *ub);
    *n = (size_t)len;
    return buf;
}

unsigned char *tml_h5_mem_bytes(hid_t file, size_t *n) {
    size_t ub;
    unsigned char *buf = close_grown(file, &ub, n);
    if (buf && ub) memmove(buf, buf + ub, *n); /* without the user block */
    return buf;
}

int tml_h5_mem_save(hid_t file, const char *path, int atomic, TmlError *err) {
    size_t ub, n;
    unsigned char *buf = close_grown(file, &ub, &n);
    if (!buf) return tml_h5_fail(err, "%s: cannot assemble the file in memory (out of memory?)", path);
    if (ub == TML_H5_USERBLOCK) {
        uint32_t crc = tml_crc32c(0, buf + ub, n);
        snprintf((char *)buf, ub, CHECK_MAGIC "crc32c %08" PRIx32 "\nbytes %llu\n", crc, (unsigned long long)n);
    }
    int rc = tml_file_write(path, buf, ub + n, atomic, err);
    free(buf);
    return rc;
}

/* A file's bytes handed to HDF5's core driver without a copy: the file-image callbacks return this
 * block for every buffer the library asks for and free it when neither a property list nor an open
 * file refers to it any more (what H5LTopen_file_image does, minus its separate user data, which
 * HDF5 1.10 leaks when the open fails). */
typedef struct Image {
    size_t fapl_refs, file_refs, size;
    unsigned char bytes[];
} Image;

static void *image_malloc(size_t size, H5FD_file_image_op_t op, void *udata) {
    Image *im = udata;
    if (size != im->size) return NULL;
    if (op == H5FD_FILE_IMAGE_OP_PROPERTY_LIST_SET || op == H5FD_FILE_IMAGE_OP_PROPERTY_LIST_COPY ||
        op == H5FD_FILE_IMAGE_OP_PROPERTY_LIST_GET)
        im->fapl_refs++;
    else if (op == H5FD_FILE_IMAGE_OP_FILE_OPEN)
        im->file_refs++;
    else
        return NULL;
    return im->bytes;
}

static void *image_memcpy(void *dest, const void *src, size_t size, H5FD_file_image_op_t op, void *udata) {
    (void)op, (void)udata;
    if (dest != src) memcpy(dest, src, size);
    return dest;
}

static void *image_realloc(void *ptr, size_t size, H5FD_file_image_op_t op, void *udata) {
    (void)ptr, (void)size, (void)op, (void)udata;
    return NULL; /* read-only */
}

static herr_t image_free(void *ptr, H5FD_file_image_op_t op, void *udata) {
    Image *im = udata;
    if (ptr != im->bytes) return -1;
    if (op == H5FD_FILE_IMAGE_OP_FILE_CLOSE) {
        if (im->file_refs) im->file_refs--;
    } else if (im->fapl_refs) {
        im->fapl_refs--;
    }
    if (!im->fapl_refs && !im->file_refs) free(im);
    return 0;
}

/* The user data is the block itself: copies share it, and it goes with the last buffer reference. */
static void *image_udata_copy(void *udata) { return udata; }
static herr_t image_udata_free(void *udata) {
    (void)udata;
    return 0;
}

/* The whole file into an Image; NULL with err set. */
static Image *read_all(const char *path, TmlError *err) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        int e = errno;
        if (fd >= 0) close(fd);
        tml_fail(err, "%s: cannot open: %s", path, strerror(e));
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        tml_fail(err, "%s: not a regular file", path);
        return NULL;
    }
    size_t len = (size_t)st.st_size, got = 0;
    Image *im = malloc(sizeof *im + (len ? len : 1));
    while (im && got < len) {
        ssize_t r = read(fd, im->bytes + got, len - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += (size_t)r;
    }
    close(fd);
    if (!im || got != len) {
        tml_fail(err, "%s: %s", path, im ? "read failed (did the file change while it was read?)" : "out of memory reading the file");
        free(im);
        return NULL;
    }
    im->fapl_refs = 1; /* the caller's reference, dropped with image_free once HDF5 holds its own */
    im->file_refs = 0;
    im->size = len;
    return im;
}

/* 0 when the checksum block is absent (*checked 0) or matches (*checked 1); -1 with err set.
 * Where HDF5's superblock starts tells which files must have the block: ticketml's checksummed
 * files put it at 512 (after the block), files without a user block at 0. So damage to the block's
 * own bytes is caught too, and bytes that are no HDF5 file at all never reach the library (HDF5
 * 1.10 can crash or hang on damaged files: the checksum is checked before it parses anything). */
static int verify(const char *path, const Image *im, int *checked, TmlError *err) {
    static const unsigned char SIG[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    size_t ml = sizeof CHECK_MAGIC - 1, n = im->size;
    *checked = 0;
    int at0 = n >= 8 && !memcmp(im->bytes, SIG, 8);
    int at512 = n >= TML_H5_USERBLOCK + 8 && !memcmp(im->bytes + TML_H5_USERBLOCK, SIG, 8);
    if (at0) return 0; /* no user block: a file without a checksum (older ticketml, other writers) */
    if (!at512)
        return tml_fail(err, "%s: not an HDF5 file, or a truncated or damaged one", path);
    if (memcmp(im->bytes, CHECK_MAGIC, ml) != 0)
        return tml_fail(err, "%s: the file is damaged: its checksum block is missing or unreadable; use an intact copy "
                             "or write it again",
                        path);
    char head[TML_H5_USERBLOCK + 1];
    memcpy(head, im->bytes, TML_H5_USERBLOCK);
    head[TML_H5_USERBLOCK] = '\0';
    unsigned crc = 0;
    unsigned long long bytes = 0;
    int ok = sscanf(head + ml, "crc32c %8x\nbytes %llu\n", &crc, &bytes) == 2;
    if (!ok)
        return tml_fail(err, "%s: the file is damaged: its checksum block is missing or unreadable; use an intact copy "
                             "or write it again",
                        path);
    if (bytes != n - TML_H5_USERBLOCK)
        return tml_fail(err, "%s: the file is damaged: wrong length, %s (%zu bytes after the checksum block, %llu "
                             "written); use an intact copy or write it again",
                        path, n - TML_H5_USERBLOCK < bytes ? "truncated" : "bytes added after its end",
                        n - TML_H5_USERBLOCK, bytes);
    uint32_t got = tml_crc32c(0, im->bytes + TML_H5_USERBLOCK, n - TML_H5_USERBLOCK);
    if (got != (uint32_t)crc)
        return tml_fail(err, "%s: the file is damaged: checksum mismatch (CRC-32C %08" PRIx32 ", written as %08x): its "
                             "bytes changed after it was written (disk, memory or copy error); use an intact copy or "
                             "write it again",
                        path, got, crc);
    *checked = 1;
    return 0;
}

/* Opens an Image read-only through the callbacks above; the Image goes with the file. */
static hid_t open_image(Image *im) {
    static unsigned counter;
    char name[64];
    snprintf(name, sizeof name, "ticketml-image-%u-%ld.h5", counter++, (long)getpid());
    H5FD_file_image_callbacks_t cb = {image_malloc, image_memcpy, image_realloc, image_free,
                                      image_udata_copy, image_udata_free, im};
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS), f = -1;
    if (fapl >= 0 && H5Pset_fapl_core(fapl, (size_t)1 << 20, 0) >= 0 && H5Pset_file_image_callbacks(fapl, &cb) >= 0 &&
        H5Pset_file_image(fapl, im->bytes, im->size) >= 0)
        f = H5Fopen(name, H5F_ACC_RDONLY, fapl);
    if (fapl >= 0) H5Pclose(fapl);
    image_free(im->bytes, H5FD_FILE_IMAGE_OP_PROPERTY_LIST_CLOSE, im); /* ours; an open file keeps its own */
    if (f < 0) H5Eclear2(H5E_DEFAULT);
    return f;
}

hid_t tml_h5_open_checked(const char *path, int *checked, TmlError *err) {
    tml_h5_quiet();
    *checked = 0;
    Image *im = read_all(path, err);
    if (!im) return -1;
    if (verify(path, im, checked, err)) {
        free(im);
        return -1;
    }
    hid_t f = open_image(im);
    if (f < 0) tml_fail(err, "%s: not an HDF5 file, or a truncated or corrupt one", path);
    return f;
}

hid_t tml_h5_open_bytes(const void *bytes, size_t n) {
    tml_h5_quiet();
    Image *im = malloc(sizeof *im + (n ? n : 1));
    if (!im) return -1;
    memcpy(im->bytes, bytes, n);
    im->fapl_refs = 1;
    im->file_refs = 0;
    im->size = n;
    return open_image(im);
}

static herr_t walk_cb(unsigned n, const H5E_error2_t *e, void *data) {
    char *buf = (char *)data;
    if (n == 0 && e->desc && e->desc[0]) snprintf(buf, 256, "%s", e->desc);
    return 0;
}

int tml_h5_fail(TmlError *err, const char *fmt, ...) {
    char what[TML_ERROR_MSG_MAX], h5[256] = "";
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, walk_cb, h5);
    H5Eclear2(H5E_DEFAULT);
    if (h5[0]) return tml_fail(err, "%s (HDF5: %s)", what, h5);
    return tml_fail(err, "%s", what);
}

/* The stored type of a native memory type: little-endian, so files read the same on any host. */
static hid_t file_type(hid_t mem) {
    if (H5Tequal(mem, H5T_NATIVE_FLOAT) > 0) return H5T_IEEE_F32LE;
    if (H5Tequal(mem, H5T_NATIVE_DOUBLE) > 0) return H5T_IEEE_F64LE;
    if (H5Tequal(mem, H5T_NATIVE_INT64) > 0) return H5T_STD_I64LE;
    if (H5Tequal(mem, H5T_NATIVE_UINT64) > 0) return H5T_STD_U64LE;
    if (H5Tequal(mem, H5T_NATIVE_INT32) > 0) return H5T_STD_I32LE;
    if (H5Tequal(mem, H5T_NATIVE_UINT32) > 0) return H5T_STD_U32LE;
    if (H5Tequal(mem, H5T_NATIVE_UINT8) > 0) return H5T_STD_U8LE;
    return mem; /* strings and anything else: as given */
}

static int attr_write(hid_t loc, const char *name, hid_t type, const void *v) {
    if (H5Aexists(loc, name) > 0) H5Adelete(loc, name);
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(loc, name, file_type(type), sp, H5P_DEFAULT, H5P_DEFAULT);
    int rc = a < 0 || H5Awrite(a, type, v) < 0 ? -1 : 0;
    if (a >= 0) H5Aclose(a);
    H5Sclose(sp);
    return rc;
}

int tml_h5_attr_i64(hid_t loc, const char *name, int64_t v) { return attr_write(loc, name, H5T_NATIVE_INT64, &v); }
int tml_h5_attr_f64(hid_t loc, const char *name, double v) { return attr_write(loc, name, H5T_NATIVE_DOUBLE, &v); }

static hid_t vlen_str_type(void) {
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    return t;
}

int tml_h5_attr_str(hid_t loc, const char *name, const char *v) {
    hid_t t = vlen_str_type();
    const char *p = v ? v : "";
    int rc = attr_write(loc, name, t, &p);
    H5Tclose(t);
    return rc;
}

int tml_h5_has_attr(hid_t loc, const char *name) { return H5Aexists(loc, name) > 0; }

static int attr_read(hid_t loc, const char *name, hid_t type, void *v) {
    if (H5Aexists(loc, name) <= 0) return -1;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    if (a < 0) return -1;
    int rc = H5Aread(a, type, v) < 0 ? -1 : 0;
    H5Aclose(a);
    return rc;
}

int tml_h5_get_i64(hid_t loc, const char *name, int64_t *v) { return attr_read(loc, name, H5T_NATIVE_INT64, v); }
int tml_h5_get_f64(hid_t loc, const char *name, double *v) { return attr_read(loc, name, H5T_NATIVE_DOUBLE, v); }

char *tml_h5_get_str(hid_t loc, const char *name) {
    if (H5Aexists(loc, name) <= 0) return NULL;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    if (a < 0) return NULL;
    hid_t ft = H5Aget_type(a);
    char *out = NULL;
    if (H5Tget_class(ft) == H5T_STRING) {
        if (H5Tis_variable_str(ft) > 0) {
            hid_t t = vlen_str_type();
            char *p = NULL;
            if (H5Aread(a, t, &p) >= 0) {
                out = strdup(p ? p : "");
                if (p) H5free_memory(p);
            }
            H5Tclose(t);
        } else {
            size_t n = H5Tget_size(ft);
            hid_t t = H5Tcopy(H5T_C_S1);
            H5Tset_size(t, n + 1);
            out = (char *)calloc(n + 2, 1);
            if (out && H5Aread(a, t, out) < 0) {
                free(out);
                out = NULL;
            }
            H5Tclose(t);
        }
    }
    H5Tclose(ft);
    H5Aclose(a);
    return out;
}

int tml_h5_exists(hid_t loc, const char *name) { return H5Lexists(loc, name, H5P_DEFAULT) > 0; }

int tml_h5_write(hid_t loc, const char *name, hid_t memtype, int rank, const hsize_t *dims, const void *data,
                 int compress) {
    hsize_t total = 1;
    for (int i = 0; i < rank; i++) total *= dims[i];
    hid_t sp = H5Screate_simple(rank, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (compress && total > 0) {
        /* ~256 KiB chunks along the first dimension: big enough for deflate, small enough to stream */
        hsize_t row = rank == 2 ? (dims[1] ? dims[1] : 1) : 1;
        hsize_t chunk[2] = {(65536 + row - 1) / row, rank == 2 ? dims[1] : 1};
        if (chunk[0] > dims[0]) chunk[0] = dims[0];
        if (chunk[0] == 0) chunk[0] = 1;
        if (rank == 2 && chunk[1] == 0) chunk[1] = 1;
        H5Pset_chunk(dcpl, rank, chunk);
        H5Pset_shuffle(dcpl);
        if (H5Zfilter_avail(H5Z_FILTER_DEFLATE) > 0) H5Pset_deflate(dcpl, 1);
    }
    hid_t d = H5Dcreate2(loc, name, file_type(memtype), sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    int rc = d < 0 ? -1 : 0;
    if (rc == 0 && total > 0 && H5Dwrite(d, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0) rc = -1;
    if (d >= 0) H5Dclose(d);
    H5Pclose(dcpl);
    H5Sclose(sp);
    return rc;
}

int tml_h5_write_strs(hid_t loc, const char *name, char *const *s, int64_t n) {
    const char **p = (const char **)malloc((size_t)(n > 0 ? n : 1) * sizeof *p);
    if (!p) return -1;
    for (int64_t i = 0; i < n; i++) p[i] = s[i] ? s[i] : "";
    hid_t t = vlen_str_type();
    hsize_t dims[1] = {(hsize_t)n};
    int rc = tml_h5_write(loc, name, t, 1, dims, p, 0);
    H5Tclose(t);
    free(p);
    return rc;
}

int tml_h5_rank(hid_t loc, const char *name, hsize_t dims[2]) {
    if (!tml_h5_exists(loc, name)) return -1;
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    if (d < 0) return -1;
    hid_t sp = H5Dget_space(d);
    int rank = sp >= 0 ? H5Sget_simple_extent_ndims(sp) : -1;
    dims[0] = dims[1] = 0;
    if (rank == 1 || rank == 2) H5Sget_simple_extent_dims(sp, dims, NULL);
    if (sp >= 0) H5Sclose(sp);
    H5Dclose(d);
    return rank;
}

int64_t tml_h5_size(hid_t loc, const char *name, int64_t *dims0) {
    if (!tml_h5_exists(loc, name)) return -1;
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    if (d < 0) return -1;
    hid_t sp = H5Dget_space(d);
    hsize_t dims[8] = {0};
    int rank = H5Sget_simple_extent_ndims(sp);
    int64_t total = -1;
    if (rank >= 0 && rank <= 8 && H5Sget_simple_extent_dims(sp, dims, NULL) >= 0) {
        total = 1;
        for (int i = 0; i < rank; i++) total *= (int64_t)dims[i];
        if (dims0) *dims0 = rank > 0 ? (int64_t)dims[0] : 1;
    }
    H5Sclose(sp);
    H5Dclose(d);
    return total;
}

int tml_h5_read(hid_t loc, const char *name, hid_t memtype, void *out) {
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    if (d < 0) return -1;
    hid_t sp = H5Dget_space(d);
    int rc = 0;
    if (H5Sget_simple_extent_npoints(sp) > 0) rc = H5Dread(d, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0 ? -1 : 0;
    H5Sclose(sp);
    H5Dclose(d);
    return rc;
}

char **tml_h5_read_strs(hid_t loc, const char *name, int64_t *n) {
    int64_t m = tml_h5_size(loc, name, NULL);
    if (m < 0) return NULL;
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    if (d < 0) return NULL;
    char **out = (char **)calloc((size_t)(m > 0 ? m : 1), sizeof *out);
    char **raw = (char **)calloc((size_t)(m > 0 ? m : 1), sizeof *raw);
    hid_t t = vlen_str_type();
    hid_t sp = H5Dget_space(d);
    int ok = out && raw && (m == 0 || H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw) >= 0);
    if (ok && m > 0) {
        for (int64_t i = 0; ok && i < m; i++) ok = (out[i] = strdup(raw[i] ? raw[i] : "")) != NULL;
#if H5_VERSION_GE(1, 12, 0)
        H5Treclaim(t, sp, H5P_DEFAULT, raw);
#else
        H5Dvlen_reclaim(t, sp, H5P_DEFAULT, raw);
#endif
    }
    H5Sclose(sp);
    H5Tclose(t);
    H5Dclose(d);
    free(raw);
    if (!ok) {
        if (out)
            for (int64_t i = 0; i < m; i++) free(out[i]);
        free(out);
        return NULL;
    }
    *n = m;
    return out;
}

/* ---- TmlError-returning calls ------------------------------------------------------------------ */

static int write_tensor(hid_t loc, const char *name, hid_t type, const void *data, int64_t rows, int64_t cols,
                        TmlError *err) {
    hsize_t dims[2] = {(hsize_t)rows, (hsize_t)cols};
    if (tml_h5_write(loc, name, type, cols > 0 ? 2 : 1, dims, data, 0) < 0)
        return tml_h5_fail(err, "cannot write dataset '%s' (disk full?)", name);
    return 0;
}

static int read_tensor(hid_t loc, const char *name, hid_t type, void *data, int64_t rows, int64_t cols, TmlError *err) {
    int64_t d0 = 0, n = tml_h5_size(loc, name, &d0);
    int64_t want = cols > 0 ? rows * cols : rows;
    if (n < 0) return tml_fail(err, "dataset '%s' is missing", name);
    if (n != want || d0 != rows)
        return tml_fail(err, "dataset '%s' has %lld values (first dimension %lld), expected %lld x %lld", name,
                        (long long)n, (long long)d0, (long long)rows, (long long)(cols > 0 ? cols : 1));
    if (n > 0 && tml_h5_read(loc, name, type, data) < 0)
        return tml_h5_fail(err, "cannot read dataset '%s' (file truncated or corrupt?)", name);
    return 0;
}

/* Index of the first NaN or infinite value of x[0..n), -1 when all are finite; *count gets how many. */
static int64_t first_nonfinite(const float *x, int64_t n, int64_t *count) {
    int64_t first = -1, k = 0;
    for (int64_t i = 0; i < n; i++)
        if (!isfinite(x[i])) {
            if (first < 0) first = i;
            k++;
        }
    *count = k;
    return first;
}

static int nonfinite_fail(const char *name, const float *x, int64_t n, const char *when, TmlError *err) {
    int64_t k, i = first_nonfinite(x, n, &k);
    if (i < 0) return 0;
    return tml_fail(err, "'%s' holds %lld NaN or infinite value%s (the first at index %lld is %g): %s", name, (long long)k,
                    k == 1 ? "" : "s", (long long)i, (double)x[i], when);
}

int tml_h5_write_f32(hid_t loc, const char *name, const float *data, int64_t rows, int64_t cols, TmlError *err) {
    if (nonfinite_fail(name, data, cols > 0 ? rows * cols : rows,
                       "the training diverged; train again with a lower train.lr (nothing was written)", err))
        return -1;
    return write_tensor(loc, name, H5T_NATIVE_FLOAT, data, rows, cols, err);
}
int tml_h5_read_f32(hid_t loc, const char *name, float *data, int64_t rows, int64_t cols, TmlError *err) {
    if (read_tensor(loc, name, H5T_NATIVE_FLOAT, data, rows, cols, err)) return -1;
    return nonfinite_fail(name, data, cols > 0 ? rows * cols : rows,
                          "the model is unusable (a diverged training wrote it); train it again with a lower train.lr",
                          err);
}
int tml_h5_write_u64(hid_t loc, const char *name, const uint64_t *data, int64_t n, TmlError *err) {
    return write_tensor(loc, name, H5T_NATIVE_UINT64, data, n, 0, err);
}
int tml_h5_read_u64(hid_t loc, const char *name, uint64_t *data, int64_t n, TmlError *err) {
    return read_tensor(loc, name, H5T_NATIVE_UINT64, data, n, 0, err);
}

int tml_h5_attr_write_i64(hid_t loc, const char *name, int64_t v, TmlError *err) {
    return tml_h5_attr_i64(loc, name, v) < 0 ? tml_h5_fail(err, "cannot write attribute '%s'", name) : 0;
}
int tml_h5_attr_read_i64(hid_t loc, const char *name, int64_t *v, TmlError *err) {
    return tml_h5_get_i64(loc, name, v) < 0 ? tml_fail(err, "attribute '%s' is missing or not an integer", name) : 0;
}
int tml_h5_attr_write_f64(hid_t loc, const char *name, double v, TmlError *err) {
    return tml_h5_attr_f64(loc, name, v) < 0 ? tml_h5_fail(err, "cannot write attribute '%s'", name) : 0;
}
int tml_h5_attr_read_f64(hid_t loc, const char *name, double *v, TmlError *err) {
    return tml_h5_get_f64(loc, name, v) < 0 ? tml_fail(err, "attribute '%s' is missing or not a number", name) : 0;
}
int tml_h5_attr_write_str(hid_t loc, const char *name, const char *s, TmlError *err) {
    return tml_h5_attr_str(loc, name, s) < 0 ? tml_h5_fail(err, "cannot write attribute '%s'", name) : 0;
}
char *tml_h5_attr_read_str(hid_t loc, const char *name, TmlError *err) {
    char *s = tml_h5_get_str(loc, name);
    if (!s) tml_fail(err, "attribute '%s' is missing or not a string", name);
    return s;
}
