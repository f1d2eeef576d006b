/* bundle.h - a compiled program on disk: a folder with manifest.yaml (the
 * program as data), program.c (the generated measurement code), program.h
 * (its key and state structs) and, for the eBPF target, program.bpf.c. See
 * docs/bundle.md. */
#ifndef EQUERY_BUNDLE_H
#define EQUERY_BUNDLE_H

#include <stdbool.h>
#include <stddef.h>

#include "compiler.h"
#include "ir.h"
#include "manifest.h"

#define BUNDLE_MANIFEST "manifest.yaml"
#define BUNDLE_C_SOURCE "program.c"
#define BUNDLE_EQ_SOURCE "program.eq"   /* the program's EQuery text: equery-run generates the C from it */
#define BUNDLE_HEADER "program.h"       /* included by program.c and program.bpf.c */
#define BUNDLE_BPF_SOURCE "program.bpf.c" /* --target=ebpf only */
#define BUNDLE_KOMON_CONFIG "komon.yaml"  /* when a query reads KOMon samples (docs/komon.md) */

typedef enum { BUNDLE_TARGET_C, BUNDLE_TARGET_EBPF } BundleTarget;

/* Writes the bundle of `p` into `dir` (created if missing; its files are
 * replaced atomically). False with a message in err. */
bool bundle_write(const Compiler *c, const IrProgram *p, const char *dir, const char *compiler_version, char *err,
                  size_t errlen);
/* The same for a target: BUNDLE_TARGET_EBPF adds program.bpf.c (the caller
 * has checked the program with ebpf_check); BUNDLE_TARGET_C removes a
 * program.bpf.c left from an earlier eBPF bundle in `dir`. */
bool bundle_write_target(const Compiler *c, const IrProgram *p, const char *dir, const char *compiler_version,
                         BundleTarget target, char *err, size_t errlen);

/* The manifest of `p` in memory (free with manifest_free). */
Manifest *bundle_manifest(const Compiler *c, const IrProgram *p, const char *c_sha256, const char *compiler_version);

/* The default bundle folder for a program file: "dir/x.eq" -> "x" (in the
 * current folder, as cc -c writes objects). */
char *bundle_default_dir(const char *source_path);

#endif
