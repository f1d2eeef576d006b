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

enum {
    KOMON_CONFIG_VERSION = 1,
    KOMON_DEFAULT_CBSIZE = 4096,   /* the sample buffer's capacity */
    KOMON_MAX_CBSIZE = 1 << 20,
};

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

bool komon_config_save(const char *path, const KomonConfig *c, char *err, size_t errlen);
/* Reads and validates `path`; NULL with a message in err. */
KomonConfig *komon_config_load(const char *path, char *err, size_t errlen);
/* Checks the ranges (port, 1 <= samplesize <= cbsize <= KOMON_MAX_CBSIZE);
 * false with a message in err. */
bool komon_config_valid(const KomonConfig *c, char *err, size_t errlen);
void komon_config_free(KomonConfig *c);

#endif
