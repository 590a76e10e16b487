/* sha256.h — SHA-256 (FIPS 180-4), streaming. The export checksum is SHA-256 so any language can
 * verify it with its standard library (Python: hashlib.sha256). */
#ifndef TICKETML_SERVE_SHA256_H
#define TICKETML_SERVE_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct TmlSha256 {
    uint32_t h[8];
    uint64_t len;          /* bytes hashed so far */
    unsigned char buf[64];
    size_t n;              /* bytes waiting in buf */
} TmlSha256;

void tml_sha256_init(TmlSha256 *s);
void tml_sha256_update(TmlSha256 *s, const void *data, size_t len);
/* Writes the 32-byte digest into out; s must be re-initialized before reuse. */
void tml_sha256_final(TmlSha256 *s, unsigned char out[32]);
/* Lower-case hex of 32 bytes into hex[65] (NUL-terminated). */
void tml_sha256_hex(const unsigned char d[32], char hex[65]);

#endif
