/* bundle.h - a compiled program on disk: a folder with manifest.yaml (the
 * program as data) and program.c (the generated measurement code). See
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

/* Writes the bundle of `p` into `dir` (created if missing; its files are
 * replaced atomically). False with a message in err. */
bool bundle_write(const Compiler *c, const IrProgram *p, const char *dir, const char *compiler_version, char *err,
                  size_t errlen);

/* The manifest of `p` in memory (free with manifest_free). */
Manifest *bundle_manifest(const Compiler *c, const IrProgram *p, const char *c_sha256, const char *compiler_version);

/* The default bundle folder for a program file: "x.eq" -> "x". */
char *bundle_default_dir(const char *source_path);

#endif
