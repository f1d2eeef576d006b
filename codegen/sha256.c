/* sha256.c - see sha256.h. The digest is libcrypto's; a failure of its
 * allocator or of a digest call cannot be reported through these void
 * calls, and a wrong digest would load the wrong cached build: abort. */
#include "sha256.h"

#include <openssl/evp.h>
#include <stdlib.h>

void sha256_init(Sha256 *ctx)
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    if (!c || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1)
        abort();
    ctx->evp = c;
}

void sha256_update(Sha256 *ctx, const void *data, size_t len)
{
    if (EVP_DigestUpdate(ctx->evp, data, len) != 1)
        abort();
}

void sha256_final(Sha256 *ctx, uint8_t out[SHA256_DIGEST_LEN])
{
    unsigned n = 0;
    if (EVP_DigestFinal_ex(ctx->evp, out, &n) != 1 || n != SHA256_DIGEST_LEN)
        abort();
    EVP_MD_CTX_free(ctx->evp);
    ctx->evp = NULL;
}

void sha256(const void *data, size_t len, uint8_t out[SHA256_DIGEST_LEN])
{
    unsigned n = 0;
    if (EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) != 1 || n != SHA256_DIGEST_LEN)
        abort();
}

void sha256_to_hex(const uint8_t digest[SHA256_DIGEST_LEN], char out[SHA256_HEX_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < SHA256_DIGEST_LEN; i++) {
        out[2 * i] = hex[digest[i] >> 4];
        out[2 * i + 1] = hex[digest[i] & 0x0f];
    }
    out[SHA256_HEX_LEN] = '\0';
}

void sha256_hex(const void *data, size_t len, char out[SHA256_HEX_LEN + 1])
{
    uint8_t d[SHA256_DIGEST_LEN];
    sha256(data, len, d);
    sha256_to_hex(d, out);
}
