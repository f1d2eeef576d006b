/* engine_modules.c - the sources of engine_modules.def as the commands see
 * them (dpdk_source, ebpf_source, komon_source; source.h): each loads its
 * module with dlopen the first time a run opens it, then passes every call
 * on to the module's own table (id_module_source).
 *
 * The module is linked without the runtime: what it calls of the engine
 * (engine_*, eq_table_*, output, ...) is resolved in the command, which
 * exports its symbols (-rdynamic), so there is one copy of every runtime
 * global. It is looked for beside the command (a build tree), then where
 * an installed command's modules are (PREFIX/lib/equery beside PREFIX/bin).
 * A module that is missing or cannot be loaded is one clear error naming
 * its file and dlerror(); a build without the module's library says so, as
 * the stubs did. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "source.h"

enum {
#define MODULE(id, file, what, status, without) MOD_##id,
#include "engine_modules.def"
#undef MODULE
    MOD_COUNT
};

typedef struct {
    const char *id, *file, *what;
    int status;
    const char *without;
    bool built;
} EngineModule;

static const EngineModule modules[MOD_COUNT] = {
#define MODULE(id, file, what, status, without) [MOD_##id] = {#id, file, what, status, without, EQ_MODULE_##id},
#include "engine_modules.def"
#undef MODULE
};

/* The modules' tables, once loaded (a module is never unloaded). */
static const SourceOps *loaded[MOD_COUNT];
static pthread_mutex_t load_mu = PTHREAD_MUTEX_INITIALIZER;

/* The places a module is looked for, beside the command first: into
 * paths (n of them); the first that exists is loaded. */
static unsigned module_paths(const char *file, char paths[][PATH_MAX + 64])
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return 0;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash)
        *slash = '\0';
    snprintf(paths[0], PATH_MAX + 64, "%s/%s", exe, file);
    snprintf(paths[1], PATH_MAX + 64, "%s/%s/%s", exe, EQ_MODULE_RELDIR, file);
    return 2;
}

/* Loads module m (once); its table, or NULL after saying why on stderr
 * (*status: the exit status). */
static const SourceOps *module_load(unsigned m, const char *tool, int *status)
{
    const EngineModule *mod = &modules[m];
    pthread_mutex_lock(&load_mu);
    const SourceOps *ops = loaded[m];
    if (ops || !mod->built)
        goto out;
    char paths[2][PATH_MAX + 64];
    unsigned np = module_paths(mod->file, paths);
    if (np == 0) {
        fprintf(stderr, "%s: error: %s (%s) cannot be loaded: where is this command? (/proc/self/exe: %m)\n", tool,
                mod->what, mod->file);
        goto out;
    }
    unsigned pick = 0; /* none there: the first, whose dlerror() says so */
    for (unsigned i = 0; i < np; i++)
        if (access(paths[i], F_OK) == 0) {
            pick = i;
            break;
        }
    void *h = dlopen(paths[pick], RTLD_NOW | RTLD_LOCAL);
    char sym[64];
    snprintf(sym, sizeof sym, "%s_module_source", mod->id);
    if (h)
        ops = dlsym(h, sym);
    if (!ops)
        fprintf(stderr, "%s: error: %s (%s) cannot be loaded: %s\n", tool, mod->what, paths[pick], dlerror());
    loaded[m] = ops;
out:
    pthread_mutex_unlock(&load_mu);
    if (!mod->built) {
        fprintf(stderr, "%s: error: ", tool);
        fprintf(stderr, mod->without, tool);
        fputc('\n', stderr);
    }
    if (!ops)
        *status = mod->status;
    return ops;
}

static const SourceOps *module_ops(unsigned m)
{
    pthread_mutex_lock(&load_mu);
    const SourceOps *ops = loaded[m];
    pthread_mutex_unlock(&load_mu);
    return ops;
}

/* Each module's table: open loads it; the other calls have a state from
 * its open, so the module is there (and a call without one does nothing). */
#define MODULE(id, file, what, status, without)                                                                   \
    static void *id##_open(const SourceOptions *o, EngineConfig *cfg, int *st)                                    \
    {                                                                                                             \
        const SourceOps *ops = module_load(MOD_##id, o->tool, st);                                                \
        return ops ? ops->open(o, cfg, st) : NULL;                                                                \
    }                                                                                                             \
    static int id##_run(void *s, Engine *e, volatile sig_atomic_t *stop)                                          \
    {                                                                                                             \
        const SourceOps *ops = module_ops(MOD_##id);                                                              \
        return ops ? ops->run(s, e, stop) : status;                                                               \
    }                                                                                                             \
    static void id##_stats(void *s, SourceStats *out)                                                             \
    {                                                                                                             \
        const SourceOps *ops = module_ops(MOD_##id);                                                              \
        (ops ? ops->stats : source_stats_none)(s, out);                                                           \
    }                                                                                                             \
    static void id##_report(void *s, FILE *f)                                                                     \
    {                                                                                                             \
        const SourceOps *ops = module_ops(MOD_##id);                                                              \
        if (ops)                                                                                                  \
            ops->report(s, f);                                                                                    \
    }                                                                                                             \
    static void id##_close(void *s)                                                                               \
    {                                                                                                             \
        const SourceOps *ops = module_ops(MOD_##id);                                                              \
        if (ops)                                                                                                  \
            ops->close(s);                                                                                        \
    }                                                                                                             \
    const SourceOps id##_source = {#id, id##_open, id##_run, id##_stats, id##_report, id##_close};
#include "engine_modules.def"
#undef MODULE
