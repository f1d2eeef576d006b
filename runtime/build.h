/* build.h - from a bundle's generated C to a loaded program.
 *
 * equery-run runs as root for live capture, so it never loads a binary that
 * came with a bundle: it compiles the bundle's program.c itself with the
 * system compiler into a private cache, keyed by the SHA-256 of the C
 * source, the bundle's program.h, the runtime headers and the compiler
 * command, and loads only what is in that cache (a folder of its own user,
 * mode 0700). A changed source, header or flag gives another key, so stale
 * code is never loaded. */
#ifndef EQ_BUILD_H
#define EQ_BUILD_H

#include <stdbool.h>
#include <stddef.h>

#include "eq_rt.h"
#include "manifest.h"

typedef struct {
    void *dl;
    const EqProgramDesc *prog;
    char *so_path;
    bool cached; /* found in the cache rather than built now */
} Loaded;

/* Builds (or finds) and loads the program of the bundle in `dir`. */
bool build_load(const char *dir, const Manifest *m, bool verbose, Loaded *out, char *err, size_t errlen);
void build_unload(Loaded *l);

/* Builds (or finds in the same cache) the bundle's eBPF program (the
 * manifest's bpf_source, checked against bpf_sha256) with clang -O2 -g
 * -target bpf; *obj is the object's path (free it). The key:
 * program.bpf.c, program.h and the command. */
bool build_bpf(const char *dir, const Manifest *m, bool verbose, char **obj, char *err, size_t errlen);

/* Where the runtime headers are: $EQUERY_RUNTIME_INCLUDE or the build's. */
const char *build_include_dir(void);

#endif
