/* hash: CRC-32 (zlib's polynomial) for file checksums and SHA-256 for model
 * store digests.  Pure functions; thread-safe. */
#ifndef SW_HASH_H
#define SW_HASH_H

#include <stddef.h>
#include <stdint.h>

uint32_t sw_crc32(uint32_t crc, const void *data, size_t len); /* start with crc = 0 */

typedef struct {
    uint32_t h[8];
    uint64_t len;
    unsigned char buf[64];
    size_t nbuf;
} sw_sha256;

void sw_sha256_init(sw_sha256 *s);
void sw_sha256_update(sw_sha256 *s, const void *data, size_t len);
void sw_sha256_final(sw_sha256 *s, unsigned char out[32]);
/* Lower-case hex digest of a buffer into hex[65]. */
void sw_sha256_hex(const void *data, size_t len, char hex[65]);

#endif
