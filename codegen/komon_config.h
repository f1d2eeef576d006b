/* komon_config.h - the KOMon probe configuration of a program (komon.yaml).
 *
 * equeryc writes it into a bundle when a query reads KOMon samples
 * (proc_time, sock_buf); equery-run reads it (or takes it straight from
 * the compiler for a .eq) to load the probe and drive its intervals. The
 * one libcyaml schema is in komon_config.c; docs/komon.md and
 * docs/bundle.md document the format. */
#ifndef EQUERY_KOMON_CONFIG_H
#define EQUERY_KOMON_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum {
    KOMON_CONFIG_VERSION = 1,
    KOMON_DEFAULT_CBSIZE = 4096,   /* the sample buffer's capacity */
    KOMON_MAX_CBSIZE = 1 << 20,
};
#define KOMON_DEFAULT_INTERVAL_NS 1000000000LL /* when no KOMon query has Every */

typedef struct {
    uint32_t version;     /* KOMON_CONFIG_VERSION */
    uint16_t port;        /* the UDP port the monitored VNF receives on (1..65535) */
    uint32_t cbsize;      /* capacity of the sample buffer (samples) */
    uint32_t samplesize;  /* samples taken per interval (1..cbsize) */
    uint32_t intervals;   /* intervals to run; 0: until equery-run stops */
    int64_t interval_ns;  /* length of one interval: the shortest Every of the KOMon queries */
    int64_t sleep_ns;     /* pause between two intervals (no sampling) */
    char **queries;       /* the queries that read the samples */
    unsigned nqueries;
} KomonConfig;

#ifdef EQUERY_COMPILER_H
/* The configuration of program p (from its KOMon queries and the constants
 * KOMON_CBSIZE, KOMON_SAMPLESIZE, KOMON_INTERVALS, KOMON_SLEEP); *has is
 * false when no query reads samples. With report, mistakes are located
 * errors in c's diagnostics. False on any mistake. Free with
 * komon_config_clear. */
bool komon_config_of(const Compiler *c, const IrProgram *p, KomonConfig *out, bool *has, bool report);
#endif
/* Frees what komon_config_of allocated in a KomonConfig it filled. */
void komon_config_clear(KomonConfig *c);

bool komon_config_save(const char *path, const KomonConfig *c, char *err, size_t errlen);
/* The same YAML, to a stream (equeryc --emit=komon). */
bool komon_config_print(FILE *out, const KomonConfig *c, char *err, size_t errlen);
/* Reads and validates `path`; NULL with a message in err. */
KomonConfig *komon_config_load(const char *path, char *err, size_t errlen);
/* Checks the ranges (port, 1 <= samplesize <= cbsize <= KOMON_MAX_CBSIZE);
 * false with a message in err. */
bool komon_config_valid(const KomonConfig *c, char *err, size_t errlen);
void komon_config_free(KomonConfig *c);

#endif
