/* sha256.c - SHA-256 as specified in FIPS 180-4 (same algorithm as 180-2).
 *
 * Written for clarity rather than speed: the inputs are program texts and
 * generated C files of a few hundred kilobytes at most. Byte order is
 * handled explicitly, so the code does not depend on the host's. */
#include "sha256.h"

#include <string.h>

/* Offset of the 64-bit message length in the last block. */
enum { LENGTH_OFFSET = SHA256_BLOCK_LEN - 8 };

/* First 32 bits of the fractional parts of the square roots of the first
 * eight primes (FIPS 180-4, 5.3.3). */
static const uint32_t INITIAL_HASH[8] = {
    0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u, 0xa54ff53au,
    0x510e527fu, 0x9b05688cu, 0x1f83d9abu, 0x5be0cd19u,
};

/* First 32 bits of the fractional parts of the cube roots of the first 64
 * primes (FIPS 180-4, 4.2.2). */
static const uint32_t K[64] = {
    0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u, 0x3956c25bu, 0x59f111f1u, 0x923f82a4u, 0xab1c5ed5u,
    0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u, 0x72be5d74u, 0x80deb1feu, 0x9bdc06a7u, 0xc19bf174u,
    0xe49b69c1u, 0xefbe4786u, 0x0fc19dc6u, 0x240ca1ccu, 0x2de92c6fu, 0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau,
    0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u, 0xc6e00bf3u, 0xd5a79147u, 0x06ca6351u, 0x14292967u,
    0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu, 0x53380d13u, 0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u,
    0xa2bfe8a1u, 0xa81a664bu, 0xc24b8b70u, 0xc76c51a3u, 0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u,
    0x19a4c116u, 0x1e376c08u, 0x2748774cu, 0x34b0bcb5u, 0x391c0cb3u, 0x4ed8aa4au, 0x5b9cca4fu, 0x682e6ff3u,
    0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u, 0x90befffau, 0xa4506cebu, 0xbef9a3f7u, 0xc67178f2u,
};

static uint32_t rotr(uint32_t x, unsigned n)
{
    return (x >> n) | (x << (32 - n));
}

static uint32_t load_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static void store_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* The compression function (FIPS 180-4, 6.2.2) over one 64-byte block. */
static void compress(uint32_t h[8], const uint8_t block[SHA256_BLOCK_LEN])
{
    uint32_t w[64];
    for (int t = 0; t < 16; t++)
        w[t] = load_be32(block + 4 * t);
    for (int t = 16; t < 64; t++) {
        uint32_t s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
        uint32_t s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);
        w[t] = w[t - 16] + s0 + w[t - 7] + s1;
    }

    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (int t = 0; t < 64; t++) {
        uint32_t sum1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
        uint32_t ch = (e & f) ^ (~e & g);
        uint32_t t1 = hh + sum1 + ch + K[t] + w[t];
        uint32_t sum0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
        uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
        uint32_t t2 = sum0 + maj;
        hh = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
    h[5] += f;
    h[6] += g;
    h[7] += hh;
}

void sha256_init(Sha256 *ctx)
{
    memcpy(ctx->h, INITIAL_HASH, sizeof ctx->h);
    ctx->nbytes = 0;
    ctx->nblock = 0;
}

void sha256_update(Sha256 *ctx, const void *data, size_t len)
{
    const uint8_t *p = data;
    ctx->nbytes += len;
    /* Top up a partly filled block first, then compress whole blocks
     * straight from the input, and keep the tail for later. */
    if (ctx->nblock > 0) {
        size_t take = SHA256_BLOCK_LEN - ctx->nblock;
        if (take > len)
            take = len;
        memcpy(ctx->block + ctx->nblock, p, take);
        ctx->nblock += take;
        p += take;
        len -= take;
        if (ctx->nblock < SHA256_BLOCK_LEN)
            return;
        compress(ctx->h, ctx->block);
        ctx->nblock = 0;
    }
    for (; len >= SHA256_BLOCK_LEN; p += SHA256_BLOCK_LEN, len -= SHA256_BLOCK_LEN)
        compress(ctx->h, p);
    memcpy(ctx->block, p, len);
    ctx->nblock = len;
}

void sha256_final(Sha256 *ctx, uint8_t out[SHA256_DIGEST_LEN])
{
    uint64_t nbits = ctx->nbytes * 8;

    /* Padding (FIPS 180-4, 5.1.1): a 1 bit, zeros, then the length in bits
     * as a big-endian 64-bit number at the end of the last block. When the
     * length does not fit after the 1 bit, it goes into an extra block. */
    ctx->block[ctx->nblock++] = 0x80;
    if (ctx->nblock > LENGTH_OFFSET) {
        memset(ctx->block + ctx->nblock, 0, SHA256_BLOCK_LEN - ctx->nblock);
        compress(ctx->h, ctx->block);
        ctx->nblock = 0;
    }
    memset(ctx->block + ctx->nblock, 0, LENGTH_OFFSET - ctx->nblock);
    store_be32(ctx->block + LENGTH_OFFSET, (uint32_t)(nbits >> 32));
    store_be32(ctx->block + LENGTH_OFFSET + 4, (uint32_t)nbits);
    compress(ctx->h, ctx->block);

    for (int i = 0; i < 8; i++)
        store_be32(out + 4 * i, ctx->h[i]);
    /* The context must be re-initialised before reuse; leave no message
     * bytes behind in it. */
    memset(ctx, 0, sizeof *ctx);
}

void sha256(const void *data, size_t len, uint8_t out[SHA256_DIGEST_LEN])
{
    Sha256 ctx;
    sha256_init(&ctx);
    sha256_update(&ctx, data, len);
    sha256_final(&ctx, out);
}

void sha256_to_hex(const uint8_t digest[SHA256_DIGEST_LEN], char out[SHA256_HEX_LEN + 1])
{
    static const char HEX[] = "0123456789abcdef";
    for (int i = 0; i < SHA256_DIGEST_LEN; i++) {
        out[2 * i] = HEX[digest[i] >> 4];
        out[2 * i + 1] = HEX[digest[i] & 0x0f];
    }
    out[SHA256_HEX_LEN] = '\0';
}

void sha256_hex(const void *data, size_t len, char out[SHA256_HEX_LEN + 1])
{
    uint8_t digest[SHA256_DIGEST_LEN];
    sha256(data, len, digest);
    sha256_to_hex(digest, out);
}
