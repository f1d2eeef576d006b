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
