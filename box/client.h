/* client.h - the deploying side of boxes, for equery-run --box and
 * equery-server: deploys a program to boxes (equery-box) over HTTP
 * (libcurl) and merges their frames with centre.c. */
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
    const char *const *boxes;   /* HOST:PORT each */
    unsigned nboxes;
    const char *token_file;     /* NULL: no token */
    const LoadedProgram *prog;  /* compiled here too: the centre's merge */
    Output *out;
    uint32_t max_groups, max_instances;
    bool quiet;
    volatile sig_atomic_t *stop;
    /* equery-run's summary line and warnings */
    void (*summary)(const EngineStats *st, double secs, bool quiet);
} BoxRunRequest;

/* Runs it to the end (or until *stop), results written to out and
 * finished; returns equery-run's exit status. */
int box_client_run(const BoxRunRequest *r);

#endif
