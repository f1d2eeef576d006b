/* box_sim.c - boxes and their centre in one process, without a network:
 * one BoxRun per capture (each replaying its capture, in lockstep) and a
 * Centre merging them, frames carried between their queues by this loop.
 * What it prints must be what equery-run prints for the captures merged
 * into one (tests/box/box_sim_test.sh compares them). The equery-box and
 * equery-run --box processes use the same BoxRun and Centre over HTTP.
 *
 *   box_sim [--format csv|json|table] PROGRAM.eq CAPTURE...
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boxrun.h"
#include "centre.h"
#include "output.h"
#include "program.h"

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t cap = 0;
    FILE *m = open_memstream(&buf, &cap);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        fwrite(chunk, 1, n, m);
    fclose(f);
    fclose(m);
    *len = cap;
    return buf;
}

int main(int argc, char **argv)
{
    OutFormat fmt = FMT_JSON;
    int a = 1;
    if (a + 1 < argc && !strcmp(argv[a], "--format")) {
        fmt = !strcmp(argv[a + 1], "csv") ? FMT_CSV : !strcmp(argv[a + 1], "table") ? FMT_TABLE : FMT_JSON;
        a += 2;
    }
    if (argc - a < 2) {
        fprintf(stderr, "usage: box_sim [--format csv|json|table] PROGRAM.eq CAPTURE...\n");
        return 2;
    }
    const char *program = argv[a++];
    unsigned n = (unsigned)(argc - a);
    size_t srclen;
    char *src = slurp(program, &srclen);
    if (!src) {
        perror(program);
        return 2;
    }
    char workdir[] = "/tmp/box_sim.XXXXXX";
    if (!mkdtemp(workdir))
        return 3;
    LoadedProgram prog;
    int status = program_open("box_sim", program, false, &prog);
    if (status)
        return status;
    BoxRun **box = calloc(n, sizeof *box);
    const char **names = calloc(n, sizeof *names);
    for (unsigned i = 0; i < n; i++) {
        char id[32], *diag = NULL;
        snprintf(id, sizeof id, "p%u", i);
        names[i] = argv[a + i];
        BoxRunOptions o = {.id = id,
                           .source = src,
                           .source_len = srclen,
                           .src = &pcap_file_source,
                           .input = {.pcap_file = argv[a + i]},
                           .replay = true,
                           .max_groups = 1000000,
                           .max_instances = 64,
                           .queue = {.mem_limit = 64 << 20},
                           .workdir = workdir,
                           .box_name = names[i]};
        box[i] = boxrun_start(&o, &diag, &status);
        if (!box[i]) {
            fprintf(stderr, "box_sim: box %u: %s\n", i, diag ? diag : "?");
            return status ? status : 3;
        }
        free(diag);
    }
    Output *out = out_new(stdout, fmt, prog.m);
    char err[512];
    CentreOptions co = {.prog = &prog, .out = out, .notes = stderr, .nboxes = n, .box_names = names,
                        .max_groups = 1000000, .max_instances = 64, .replay = true};
    Centre *c = centre_new(&co, err, sizeof err);
    if (!c) {
        fprintf(stderr, "box_sim: %s\n", err);
        return 3;
    }
    uint64_t *taken = calloc(n, sizeof *taken);
    Wbuf *go = calloc(n, sizeof *go);
    Wbuf in = {0};
    while (!centre_finished(c)) {
        for (unsigned i = 0; i < n; i++) {
            bool ended;
            in.n = 0;
            taken[i] = fq_read(boxrun_queue(box[i]), taken[i], &in, 4 << 20, 2, &ended);
            size_t off = 0, used;
            Frame f;
            while (proto_next(in.b + off, in.n - off, &f, &used, err, sizeof err) == 1) {
                if (!centre_take(c, i, &f, err, sizeof err)) {
                    fprintf(stderr, "box_sim: box %u: %s\n", i, err);
                    centre_lost(c, i, err);
                }
                off += used;
            }
        }
        if (centre_step(c, go))
            for (unsigned i = 0; i < n; i++)
                if (!boxrun_control(box[i], go[i].b, go[i].n, err, sizeof err))
                    fprintf(stderr, "box_sim: GO to box %u: %s\n", i, err);
    }
    out_finish(out, centre_stats(c));
    centre_report(c, stderr);
    centre_free(c);
    out_free(out);
    for (unsigned i = 0; i < n; i++) {
        boxrun_free(box[i]);
        wb_free(&go[i]);
    }
    wb_free(&in);
    free(go);
    free(taken);
    free(box);
    free(names);
    program_close(&prog);
    free(src);
    rmdir(workdir);
    return 0;
}
