/* sha256.h - SHA-256 digests, from OpenSSL's libcrypto (libssl-dev).
 *
 * The manifest records the SHA-256 of the program text and of the generated
 * C, and equery-run keys its build cache by the SHA-256 of what it compiles.
 * The digest itself is libcrypto's (EVP); this header keeps the project's
 * few call shapes: one-shot, hex, and incremental. */
#ifndef EQUERY_SHA256_H
#define EQUERY_SHA256_H

#include <stddef.h>
#include <stdint.h>

enum {
    SHA256_DIGEST_LEN = 32,                       /* bytes of a digest */
    SHA256_HEX_LEN = 2 * SHA256_DIGEST_LEN,       /* hex digits, without the '\0' */
};

/* Incremental hashing: sha256_init, any number of sha256_update, then
 * sha256_final, which releases the context (every init needs its final). */
typedef struct {
    void *evp; /* libcrypto's EVP_MD_CTX */
} Sha256;

void sha256_init(Sha256 *ctx);
void sha256_update(Sha256 *ctx, const void *data, size_t len);
void sha256_final(Sha256 *ctx, uint8_t out[SHA256_DIGEST_LEN]);

/* One-shot digest of `data`. */
void sha256(const void *data, size_t len, uint8_t out[SHA256_DIGEST_LEN]);
/* One-shot digest as 64 lowercase hex digits and a '\0'. */
void sha256_hex(const void *data, size_t len, char out[SHA256_HEX_LEN + 1]);
/* Formats a digest as 64 lowercase hex digits and a '\0'. */
void sha256_to_hex(const uint8_t digest[SHA256_DIGEST_LEN], char out[SHA256_HEX_LEN + 1]);

#endif
