/* program.h - from what the user names (a .eq file or a bundle folder) to
 * a loaded program: compile if needed, read the manifest, build and load
 * the generated code (build.h). Shared by equery-run and equery-bench. */
#ifndef EQ_PROGRAM_H
#define EQ_PROGRAM_H

#include <stdbool.h>

#include "build.h"
#include "komon_config.h"
#include "manifest.h"

enum { PROGRAM_OK = 0, PROGRAM_ERRORS = 1, PROGRAM_USAGE = 2, PROGRAM_FAILED = 3 };

typedef struct {
    Manifest *m;
    Loaded ld;
    char *tmp_bundle; /* removed by program_close */
    char *bundle;     /* the bundle's folder (tmp_bundle, or the one named) */
    char *bpf_obj;    /* program_open_target(ebpf): the built program.bpf.o (in the cache) */
    KomonConfig *komon; /* the KOMon probe's configuration (komon.yaml), or NULL */
} LoadedProgram;

/* Returns PROGRAM_OK, or the exit status after printing why to stderr
 * (program errors as diagnostics). `tool` names the caller in messages. */
int program_open(const char *tool, const char *path, bool verbose, LoadedProgram *p);
/* The same for the eBPF engine: a .eq is compiled with --target=ebpf (its
 * KOMon queries refused), and the bundle's program.bpf.c is built too. */
int program_open_target(const char *tool, const char *path, bool verbose, bool ebpf, LoadedProgram *p);
/* The same with every message (diagnostics, build errors) to `msg`. */
int program_open_msg(const char *tool, const char *path, bool verbose, bool ebpf, FILE *msg, LoadedProgram *p);
void program_close(LoadedProgram *p);

#endif
