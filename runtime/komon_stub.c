/* komon_stub.c - equery-run built without libbpf: KOMon says so. */
#include "komon_run.h"

int komon_run(Engine *eng, const KomonConfig *cfg, const KomonRunOptions *o, volatile sig_atomic_t *stop)
{
    (void)eng;
    (void)cfg;
    (void)o;
    (void)stop;
    fprintf(stderr, "equery-run was built without libbpf: KOMon needs it\n");
    return 3;
}

static void *stub_open(const SourceOptions *o, EngineConfig *cfg, int *status)
{
    (void)o;
    (void)cfg;
    fprintf(stderr, "equery-run: error: this equery-run was built without libbpf: KOMon needs it\n");
    *status = 3;
    return NULL;
}
static int stub_run(void *s, Engine *e, volatile sig_atomic_t *stop) { (void)s, (void)e, (void)stop; return 3; }
static void stub_report(void *s, FILE *f) { (void)s, (void)f; }
static void stub_close(void *s) { (void)s; }

const SourceOps komon_source = {"komon", stub_open, stub_run, source_stats_none, stub_report, stub_close};
