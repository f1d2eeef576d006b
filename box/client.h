/* client.h - the deploying side of boxes, for equery-run --box and
 * equery-server: deploys a program to boxes (equery-box) over HTTP or
 * HTTPS (libcurl; certificates always verified) and merges their frames
 * with centre.c. */
#ifndef EQ_BOX_CLIENT_H
#define EQ_BOX_CLIENT_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "engine.h"
#include "output.h"
#include "program.h"

typedef struct {
    const char *program_path;   /* the .eq file: its text is what the boxes compile */
    const char *const *boxes;   /* HOST:PORT, http://HOST:PORT or https://HOST:PORT each */
    unsigned nboxes;
    const char *token_file;     /* NULL: no token */
    const char *tls_ca;         /* the CA (PEM) https:// boxes are checked with; NULL: the system's */
    const char *ca_option;      /* how the caller's user gives it, for messages: "--tls-ca" */
    const LoadedProgram *prog;  /* compiled here too: the centre's merge */
    Output *out;
    uint32_t max_groups, max_instances;
    bool quiet;
    volatile sig_atomic_t *stop;
    /* equery-run's summary line and warnings */
    void (*summary)(const EngineStats *st, double secs, bool quiet);
    /* each trigger latency measured (a window's close here to a box holding
     * the starts of its GO), in seconds: equery-server's metrics; or NULL */
    void (*on_trigger)(void *ctx, double seconds);
    void *on_trigger_ctx;
} BoxRunRequest;

/* The base URL of a box given as HOST:PORT (http), http://HOST:PORT or
 * https://HOST:PORT, into url; false with the reason in err (another
 * scheme, no port, a path). *https tells which. */
bool box_client_url(const char *box, char *url, size_t n, bool *https, char *err, size_t errlen);

/* Runs it to the end (or until *stop), results written to out and
 * finished; returns equery-run's exit status. */
int box_client_run(const BoxRunRequest *r);

#endif
