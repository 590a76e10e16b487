/* file.h — the file-system steps every ticketml writer shares: whole files written atomically (temp
 * name in the same folder, fsync, rename, fsync of the folder), streamed files committed the same
 * way, an exclusive lock on an output path, "is this the same file", an output folder checked before
 * any work, and the CRC-32C that model and cache files carry. Errors name the path and the system's
 * reason (a full disk says "No space left on device"). */
#ifndef TICKETML_DATA_FILE_H
#define TICKETML_DATA_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ticketml/error.h"

/* Writes n bytes of buf to path. atomic: to "path.tmp-PID" first, fsynced, then renamed over path
 * (the folder fsynced too), so path holds either its old bytes or all the new ones; atomic = 0
 * writes path itself (fsynced; the caller renames it). On failure nothing is left behind (the temp
 * file is removed) and err names path and the reason. 0 / -1. */
int tml_file_write(const char *path, const void *buf, size_t n, int atomic, TmlError *err);

/* A file being streamed to a temp name beside path; tml_file_commit puts it in place. */
typedef struct TmlFileOut {
    FILE *f;      /* write with stdio; errors are caught at commit (ferror, fflush, fsync) */
    char *tmp;    /* owned */
    char *path;   /* owned */
} TmlFileOut;
/* Opens the temp file (mode 0644). 0 / -1 with err naming path. */
int tml_file_out_open(TmlFileOut *o, const char *path, TmlError *err);
/* Flushes, fsyncs, closes and renames into place; on any failure removes the temp file and fails
 * with the reason. Frees o's fields either way. */
int tml_file_out_commit(TmlFileOut *o, TmlError *err);
/* Closes and removes the temp file (after an error elsewhere). Safe on a zeroed o. */
void tml_file_out_abort(TmlFileOut *o);

/* fflush + ferror of a file that is written as work goes on (a log): -1 with err naming path and
 * the reason (errno of the failed write) when any write so far failed. */
int tml_file_check(FILE *f, const char *path, TmlError *err);

/* An exclusive advisory lock (flock) on "path.lock", taken without waiting. NULL with err set when
 * another process holds it ("... is being written by process N ...") or the folder is not
 * writable. what names the work in the message ("training"). Released and the lock file removed
 * by tml_file_unlock (a killed process's lock is released by the kernel; its file stays and is
 * reused). */
typedef struct TmlFileLock TmlFileLock;
TmlFileLock *tml_file_lock(const char *path, const char *what, TmlError *err);
void tml_file_unlock(TmlFileLock *l);

/* 1 when a and b name the same existing file (same device and inode: links and ./x == x), else 0. */
int tml_file_same(const char *a, const char *b);
/* Checks, before any work, that the folder path will be written into exists and is writable, and
 * that path is not a folder. what names the option in the message ("--out"). 0 / -1. */
int tml_file_check_output(const char *path, const char *what, TmlError *err);

/* CRC-32C (Castagnoli) of n bytes, continuing from crc (start with 0): the SSE4.2 instruction
 * where the CPU has it (about 8 GB/s), a table otherwise. */
uint32_t tml_crc32c(uint32_t crc, const void *buf, size_t n);

#endif
