/* SPDX-License-Identifier: MIT */
/*
 * SHA-256 (FIPS 180-4), for the output folders' manifests: small, one
 * block at a time, no dependency. Not hardened against side channels (it
 * hashes files initlab wrote, not secrets).
 */
#ifndef INITLAB_INTERNAL_SHA256_H
#define INITLAB_INTERNAL_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define IL__SHA256_BYTES ((size_t)32)

typedef struct il__sha256 {
    uint32_t h[8];         /* the running hash */
    uint64_t len;          /* bytes hashed so far */
    unsigned char buf[64]; /* a partial block */
    size_t used;           /* bytes in 'buf' */
} il__sha256;

void il__sha256_init(il__sha256 *s);
void il__sha256_update(il__sha256 *s, const void *data, size_t n);
/* Pad, finish and write the 32-byte digest; 's' must be initialised again
 * before reuse. */
void il__sha256_final(il__sha256 *s, unsigned char out[IL__SHA256_BYTES]);
/* The digest as 64 lowercase hex digits and a NUL into 'hex'. */
void il__sha256_hex(const unsigned char digest[IL__SHA256_BYTES],
                    char hex[2 * IL__SHA256_BYTES + 1]);

#endif
