/* error.h — the one way ticketml reports recoverable errors (bad files, bad configs, no device).
 * Functions that can fail take a TmlError* and return 0 on success, -1 on failure with err->msg set. */
#ifndef TICKETML_ERROR_H
#define TICKETML_ERROR_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define TML_ERROR_MSG_MAX 1024

typedef struct TmlError {
    char msg[TML_ERROR_MSG_MAX]; /* "file:line: what is wrong; what to do" */
} TmlError;

/* Formats the message into err (if err is non-NULL) and returns -1, so callers write
 * `return tml_fail(err, "%s:%d: ...", path, line);`. */
static inline int tml_fail(TmlError *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static inline int tml_fail(TmlError *err, const char *fmt, ...) {
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* Broken invariants (programming errors, not user errors) abort with file:line. */
#define TML_ASSERT(cond)                                                                    \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            fprintf(stderr, "ticketml: internal error at %s:%d: assertion `%s` failed\n", \
                    __FILE__, __LINE__, #cond);                                             \
            abort();                                                                        \
        }                                                                                   \
    } while (0)

#endif
