/* ebpf_stub.c - the eBPF engine when equery-run is built without libbpf. */
#include <stdlib.h>

#include "ebpf_run.h"

EbpfRun *ebpf_open(const char *obj_path, const char *bpf_source, const Manifest *m, const EqProgramDesc *prog,
                   const EbpfOptions *o, int *status)
{
    (void)obj_path, (void)bpf_source, (void)m, (void)prog;
    fprintf(stderr, "%s: error: this %s was built without libbpf, so it has no eBPF engine "
                    "(install libbpf-dev and build again)\n", o->tool, o->tool);
    *status = 3;
    return NULL;
}

const EngineHooks *ebpf_hooks(EbpfRun *r) { (void)r; return NULL; }
int ebpf_run(EbpfRun *r, Engine *e, volatile sig_atomic_t *stop) { (void)r, (void)e, (void)stop; return 3; }
void ebpf_report(const EbpfRun *r, FILE *f) { (void)r, (void)f; }
void ebpf_close(EbpfRun *r) { (void)r; }

static void *stub_open(const SourceOptions *o, EngineConfig *cfg, int *status)
{
    (void)cfg;
    EbpfOptions eo = {.tool = o->tool};
    return ebpf_open(NULL, NULL, NULL, NULL, &eo, status); /* says why, NULL */
}
static int stub_run(void *s, Engine *e, volatile sig_atomic_t *stop) { return ebpf_run(s, e, stop); }
static void stub_report(void *s, FILE *f) { ebpf_report(s, f); }
static void stub_close(void *s) { ebpf_close(s); }

const SourceOps ebpf_source = {"ebpf", stub_open, stub_run, source_stats_none, stub_report, stub_close};
