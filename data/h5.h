/* h5.h — the one HDF5 helper module (tml_h5_*) for every file ticketml writes or reads: the
 * dataset cache and fitted features (data/), model and checkpoint files (trainer/), the HDF5
 * export (serve/). Scalar attributes, whole-array datasets (optionally chunked + deflated; stored
 * little-endian whatever the host), variable-length UTF-8 strings, and HDF5 failures turned into
 * TmlError messages (the library's own stack printing is silenced). Two levels: plain calls that
 * return 0 / -1 (callers word their own messages), and TmlError-returning ones that name the
 * dataset or attribute and check shapes before touching memory. */
#ifndef TICKETML_DATA_H5_H
#define TICKETML_DATA_H5_H

#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>

#include "ticketml/error.h"

/* ---- whole files ------------------------------------------------------------------------------
 * Every HDF5 file ticketml writes is built in memory (the core driver, no backing store) and only
 * then written, atomically, by data/file.c: HDF5 never touches the disk, so a full disk is an
 * ordinary write error (HDF5 1.10 crashes at exit after a failed close of an on-disk file) and no
 * torn file is left. Model, checkpoint and cache files also carry a checksum: a 512-byte HDF5 user
 * block (which HDF5 and h5py skip) holding the CRC-32C of every byte after it, as text:
 *     ticketml-checksum 1\ncrc32c 89abcdef\nbytes 123456\n
 * Loading reads the file once, checks the CRC and lets HDF5 read from that memory. */
#define TML_H5_USERBLOCK 512

/* A new, empty HDF5 file in memory; checksum reserves the user block. -1 when out of memory. */
hid_t tml_h5_mem_create(int checksum);
/* Closes a file from tml_h5_mem_create (whatever happens) and writes its bytes to path (atomic: see
 * tml_file_write; atomic = 0 for a caller that renames itself), with the checksum block filled
 * when it has one. 0 / -1 with err naming path and the reason. */
int tml_h5_mem_save(hid_t file, const char *path, int atomic, TmlError *err);
/* The bytes of a file from tml_h5_mem_create without a user block (malloc'd, *n of them; the
 * caller frees); closes file. NULL when out of memory. */
unsigned char *tml_h5_mem_bytes(hid_t file, size_t *n);
/* Opens a copy of n bytes of an HDF5 file image read-only (close with H5Fclose); -1 on failure. */
hid_t tml_h5_open_bytes(const void *bytes, size_t n);
/* Opens path read-only from one read of its bytes. A file with a checksum block is verified first
 * (*checked = 1); a mismatch, or a length other than the block records, is an error saying the
 * file is corrupt. A file without one opens unchecked (*checked = 0). Close with H5Fclose (HDF5
 * frees the bytes). -1 with err naming path. */
hid_t tml_h5_open_checked(const char *path, int *checked, TmlError *err);

/* Turns off HDF5's automatic error printing (idempotent). */
void tml_h5_quiet(void);
/* One line for `ticketml --version`: the HDF5 library in use and the one compiled against. */
void tml_h5_describe(char *buf, size_t n);

/* tml_fail with HDF5's innermost error description appended ("...: <hdf5 says>"). Returns -1. */
int tml_h5_fail(TmlError *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* ---- plain calls: 0 / -1 -------------------------------------------------------------------- */
/* Scalar attributes on a group or dataset. Writers return 0 / -1. */
int tml_h5_attr_i64(hid_t loc, const char *name, int64_t v);
int tml_h5_attr_f64(hid_t loc, const char *name, double v);
int tml_h5_attr_str(hid_t loc, const char *name, const char *v);
/* Readers: 0 ok, -1 when missing or of the wrong kind. tml_h5_get_str's result is malloc'd
 * (caller frees); it reads fixed-length and variable-length strings. */
int tml_h5_get_i64(hid_t loc, const char *name, int64_t *v);
int tml_h5_get_f64(hid_t loc, const char *name, double *v);
char *tml_h5_get_str(hid_t loc, const char *name);
int tml_h5_has_attr(hid_t loc, const char *name);

/* Writes a whole dataset of `rank` dims (rank 1 or 2) of memtype (native numbers are stored as
 * their little-endian IEEE / two's-complement type). compress: chunked + shuffle + deflate when
 * the data is not empty. 0 / -1. */
int tml_h5_write(hid_t loc, const char *name, hid_t memtype, int rank, const hsize_t *dims, const void *data,
                 int compress);
/* Writes n strings (NULL entries stored as "") as variable-length UTF-8 strings. */
int tml_h5_write_strs(hid_t loc, const char *name, char *const *s, int64_t n);
/* Number of elements of a dataset (product of dims), -1 when absent. dims0 gets the first dim. */
int64_t tml_h5_size(hid_t loc, const char *name, int64_t *dims0);
/* Reads the whole dataset into out (which holds tml_h5_size elements of memtype). 0 / -1. */
int tml_h5_read(hid_t loc, const char *name, hid_t memtype, void *out);
/* Reads a string dataset into a malloc'd array of malloc'd strings (n of them); caller frees each
 * and the array. NULL on failure. */
char **tml_h5_read_strs(hid_t loc, const char *name, int64_t *n);
int tml_h5_exists(hid_t loc, const char *name);
/* Rank of a dataset (-1 when absent or unreadable); dims (up to 2) filled for rank 1 and 2. */
int tml_h5_rank(hid_t loc, const char *name, hsize_t dims[2]);

/* ---- TmlError-returning calls (model files, checkpoints) ---------------------------------- */
/* 2-D (rows, cols) float dataset; cols == 0 writes a 1-D dataset of rows values. Weights only: a
 * NaN or infinite value is refused with a message naming the dataset (a diverged training). */
int tml_h5_write_f32(hid_t loc, const char *name, const float *data, int64_t rows, int64_t cols, TmlError *err);
/* Reads a float dataset of exactly rows x cols (cols 0: 1-D) into data; a shape mismatch or a NaN or
 * infinite value is an error. */
int tml_h5_read_f32(hid_t loc, const char *name, float *data, int64_t rows, int64_t cols, TmlError *err);
int tml_h5_write_u64(hid_t loc, const char *name, const uint64_t *data, int64_t n, TmlError *err);
int tml_h5_read_u64(hid_t loc, const char *name, uint64_t *data, int64_t n, TmlError *err);

int tml_h5_attr_write_i64(hid_t loc, const char *name, int64_t v, TmlError *err);
int tml_h5_attr_read_i64(hid_t loc, const char *name, int64_t *v, TmlError *err);
int tml_h5_attr_write_f64(hid_t loc, const char *name, double v, TmlError *err);
int tml_h5_attr_read_f64(hid_t loc, const char *name, double *v, TmlError *err);
int tml_h5_attr_write_str(hid_t loc, const char *name, const char *s, TmlError *err);
/* Returns a malloc'd copy of a string attribute (caller frees), NULL with err set. */
char *tml_h5_attr_read_str(hid_t loc, const char *name, TmlError *err);

#endif
