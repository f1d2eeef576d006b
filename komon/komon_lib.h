/* komon_lib.h - the KOMon probe from user space: load, attach and pin it,
 * or open one pinned by another process; control its intervals with the
 * original KOMon's commands; read or stream its samples; detach
 * (docs/komon.md). Used by equery-komon and by equery-run (komon_run.c).
 *
 * A loaded probe lives under KOMON_PIN_ROOT/<port>/: its maps (ctl,
 * samples, inflight, events, stats) and its two links (link_ingress,
 * link_egress). Pinned links keep it attached after the loading process
 * exits (equery-komon load) until it is unloaded (equery-komon unload, or
 * komon_close() of the process that loaded it). */
#ifndef KOMON_LIB_H
#define KOMON_LIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "komon.h"

typedef struct Komon Komon;

typedef struct {
    uint16_t port;      /* the VNF's UDP port, 1..65535 */
    uint32_t cbsize;    /* sample buffer capacity; 0: KOMON_DEFAULT_CBSIZE_LIB */
    uint32_t inflight;  /* in-flight map size; 0: max(KOMON_DEFAULT_INFLIGHT, 2*cbsize) */
    bool verbose;       /* libbpf's messages on stderr */
    const char *who;    /* the program, for the note that it mounted bpffs (NULL: equery-komon) */
} KomonOpts;

enum { KOMON_DEFAULT_CBSIZE_LIB = 4096, KOMON_MAX_CBSIZE_LIB = 1 << 20 };

/* Called for each streamed sample; a non-zero return stops komon_poll. */
typedef int (*komon_sample_fn)(void *ctx, const struct komon_sample *s);

/* Checks that a probe can be loaded here (root or CAP_BPF, BTF, bpffs);
 * false with a one-line reason in err. */
bool komon_can_load(char *err, size_t errlen);
/* Loads, attaches and pins a probe for o->port; NULL with a message.
 * Mounts the BPF filesystem first if it is missing (bpffs.h), with a note
 * on stderr. */
Komon *komon_load(const KomonOpts *o, char *err, size_t errlen);
/* Opens the probe another process pinned for `port`; port 0: the only
 * one loaded. NULL with a message. */
Komon *komon_open_pinned(uint16_t port, char *err, size_t errlen);
/* Removes the pins of the probe for `port`: it detaches once no process
 * holds it. 0, or -1 with a message. */
int komon_unload_pinned(uint16_t port, char *err, size_t errlen);
/* Closes the handle; the process that loaded the probe also detaches it
 * and removes its pins. */
void komon_close(Komon *k);
/* Closes the handle of the process that loaded the probe but leaves it
 * pinned and attached (equery-komon load). */
void komon_close_keep(Komon *k);

uint16_t komon_port(const Komon *k);
uint32_t komon_cbsize(const Komon *k);
/* Samples per interval from the next start on: 1..cbsize, or -1 for
 * cbsize. 0, or -1 with a message. */
int komon_set_samplesize(Komon *k, long n, char *err, size_t errlen);
/* Starts an interval: the next `samplesize` packets to the port are sampled. */
void komon_start(Komon *k);
/* Abandons the current interval and discards its samples. */
void komon_stop(Komon *k);
/* Forgets the packets in flight (tagged, not yet sent). */
int komon_reset_packets(Komon *k);
/* Clears the sample buffer. */
int komon_reset_proc(Komon *k);
/* A snapshot of the control block and statistics. */
void komon_status(const Komon *k, struct komon_ctl *out);
/* The current interval's samples completed so far, in completion order:
 * up to `max` into out; returns how many (or -1). */
int komon_read(Komon *k, struct komon_sample *out, uint32_t max);
/* The packets in flight (tagged, not yet seen leaving): up to `max`
 * entries into out; returns how many (or -1). */
int komon_inflight(Komon *k, struct komon_inflight *out, uint32_t max);
/* Waits up to timeout_ms for the current interval to complete; true if it did. */
bool komon_wait(Komon *k, int timeout_ms);
/* Delivers streamed samples to fn, waiting up to timeout_ms for the first;
 * returns how many were delivered, or -1. */
int komon_poll(Komon *k, int timeout_ms, komon_sample_fn fn, void *ctx);
/* CLOCK_REALTIME - CLOCK_MONOTONIC in ns: add it to a sample's ts_out to
 * get ns since the epoch. */
int64_t komon_realtime_offset(void);

#endif
