/* program.c - naming a program to a loaded program; see program.h. */
#define _GNU_SOURCE
#include "program.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bundle.h"
#include "compiler.h"
#include "ebpf_gen.h"
#include "ir.h"
#include "sema.h"
#include "sha256.h"

enum { MAX_SOURCE = 16 << 20 };

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void remove_tree(const char *dir) { nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS); }

/* Compiles a .eq file into a temporary bundle, naming it `name` in
 * diagnostics and the generated code; its folder, or NULL after printing
 * why (*status set). */
static char *compile_program(const char *tool, const char *path, const char *name, bool ebpf, FILE *msg, int *status)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(msg, "%s: error: cannot open '%s': %s\n", tool, path, strerror(errno));
        *status = PROGRAM_USAGE;
        return NULL;
    }
    char *src = malloc(MAX_SOURCE + 1);
    if (!src)
        abort();
    size_t len = fread(src, 1, MAX_SOURCE + 1, f);
    bool too_big = len > MAX_SOURCE, bad = ferror(f);
    fclose(f);
    if (too_big || bad) {
        fprintf(msg, "%s: error: cannot read '%s'%s\n", tool, path, too_big ? ": larger than 16 MiB" : "");
        free(src);
        *status = PROGRAM_USAGE;
        return NULL;
    }
    src[len] = '\0';
    Compiler c;
    compiler_init(&c, name, src, len, msg);
    char *dir = NULL;
    Sema sm;
    if (!parse_program(&c) || !sema_check(&c, &sm)) {
        *status = PROGRAM_ERRORS;
        goto out;
    }
    IrProgram *ir = ir_lower(&c, &sm);
    if (ebpf && !ebpf_check(&c, ir)) {
        diag_flush(c.diag);
        *status = PROGRAM_ERRORS;
        goto out;
    }
    diag_flush(c.diag); /* warnings before anything else is said */
    const char *tmpdir = getenv("TMPDIR");
    if (asprintf(&dir, "%s/equery-bundle.XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp") < 0)
        abort();
    if (!mkdtemp(dir)) {
        fprintf(msg, "%s: error: cannot create a temporary folder: %s\n", tool, strerror(errno));
        free(dir);
        dir = NULL;
        *status = PROGRAM_FAILED;
        goto out;
    }
    char err[512];
    if (!bundle_write_target(&c, ir, dir, "equeryc " EQUERY_VERSION, ebpf ? BUNDLE_TARGET_EBPF : BUNDLE_TARGET_C, err,
                             sizeof err)) {
        fprintf(msg, "%s: error: %s\n", tool, err);
        remove_tree(dir);
        free(dir);
        dir = NULL;
        *status = PROGRAM_FAILED;
    }
out:
    compiler_free(&c);
    free(src);
    return dir;
}

int program_open(const char *tool, const char *path, bool verbose, LoadedProgram *p)
{
    return program_open_target(tool, path, verbose, false, p);
}

int program_open_target(const char *tool, const char *path, bool verbose, bool ebpf, LoadedProgram *p)
{
    return program_open_msg(tool, path, verbose, ebpf, stderr, p);
}

static char *slurp_file(const char *path, size_t max, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(max + 1);
    if (!buf)
        abort();
    *len = fread(buf, 1, max + 1, f);
    bool bad = ferror(f) || *len > max;
    fclose(f);
    if (bad) {
        free(buf);
        return NULL;
    }
    buf[*len] = '\0';
    return buf;
}

/* A bundle: the C that is built comes from the bundle's EQuery source,
 * compiled here into a temporary bundle. The shipped program.c is only
 * compared with what its source generates, never built (docs/bundle.md,
 * Security): a bundle's author could ship any C with a matching hash.
 * Returns the temporary bundle, or NULL after saying why (*status). */
static char *regenerate_bundle(const char *tool, const char *bundle, bool ebpf, FILE *msg, int *status)
{
    char err[4608], *mpath = NULL, *eq = NULL, *shipped_c = NULL, *fresh_c = NULL, *dir = NULL;
    if (asprintf(&mpath, "%s/%s", bundle, BUNDLE_MANIFEST) < 0 || asprintf(&eq, "%s/%s", bundle, BUNDLE_EQ_SOURCE) < 0)
        abort();
    Manifest *m = manifest_load(mpath, err, sizeof err);
    size_t len = 0;
    char *src = NULL;
    if (!m) {
        fprintf(msg, "%s: error: %s\n", tool, err);
        *status = PROGRAM_FAILED;
        goto out;
    }
    src = slurp_file(eq, MAX_SOURCE, &len);
    if (!src) {
        fprintf(msg, "%s: error: the bundle '%s' has no %s (the program's EQuery source, from which equery-run "
                     "generates the C it builds): compile the program again with equeryc\n",
                tool, bundle, BUNDLE_EQ_SOURCE);
        *status = PROGRAM_FAILED;
        goto out;
    }
    char hex[65];
    sha256_hex(src, len, hex);
    if (strcmp(hex, m->source_sha256) != 0) {
        fprintf(msg, "%s: error: '%s' does not match its manifest's source_sha256 (edited by hand?): compile the "
                     "program again\n",
                tool, eq);
        *status = PROGRAM_FAILED;
        goto out;
    }
    /* (named as when equeryc wrote it: the same C, comments included) */
    dir = compile_program(tool, eq, m->source, ebpf, msg, status);
    if (!dir)
        goto out;
    /* the shipped C, compared with what the source generates: said, never used */
    size_t a = 0, b = 0;
    char *cpath = NULL, *fpath = NULL;
    if (asprintf(&cpath, "%s/%s", bundle, BUNDLE_C_SOURCE) < 0 || asprintf(&fpath, "%s/%s", dir, BUNDLE_C_SOURCE) < 0)
        abort();
    shipped_c = slurp_file(cpath, MAX_SOURCE * 4, &a);
    fresh_c = slurp_file(fpath, MAX_SOURCE * 4, &b);
    if (shipped_c && fresh_c && (a != b || memcmp(shipped_c, fresh_c, a) != 0))
        fprintf(msg, "%s: warning: '%s' is not the C that the bundle's program generates (edited by hand, or "
                     "another equeryc?): it is ignored; the C built is generated here from %s\n",
                tool, cpath, BUNDLE_EQ_SOURCE);
    free(cpath);
    free(fpath);
out:
    manifest_free(m);
    free(src);
    free(shipped_c);
    free(fresh_c);
    free(mpath);
    free(eq);
    return dir;
}

int program_open_msg(const char *tool, const char *path, bool verbose, bool ebpf, FILE *msg, LoadedProgram *p)
{
    memset(p, 0, sizeof *p);
    struct stat st;
    const char *bundle = path;
    int status = PROGRAM_OK;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        p->tmp_bundle = compile_program(tool, path, path, ebpf, msg, &status);
    else
        p->tmp_bundle = regenerate_bundle(tool, path, ebpf, msg, &status);
    if (!p->tmp_bundle)
        return status;
    bundle = p->tmp_bundle;
    p->bundle = strdup(bundle);
    if (!p->bundle)
        abort();
    char err[4608], *mpath = NULL;
    if (asprintf(&mpath, "%s/%s", bundle, BUNDLE_MANIFEST) < 0)
        abort();
    p->m = manifest_load(mpath, err, sizeof err);
    free(mpath);
    if (!p->m) {
        fprintf(msg, "%s: error: %s\n", tool, err);
        return PROGRAM_FAILED;
    }
    if (p->m->komon_config) {
        char *kpath = NULL;
        if (asprintf(&kpath, "%s/%s", bundle, p->m->komon_config) < 0)
            abort();
        p->komon = komon_config_load(kpath, err, sizeof err);
        free(kpath);
        if (!p->komon) {
            fprintf(msg, "%s: error: %s\n", tool, err);
            return PROGRAM_FAILED;
        }
    }
    if (!build_load(bundle, p->m, verbose, &p->ld, err, sizeof err)) {
        fprintf(msg, "%s: error: %s\n", tool, err);
        return PROGRAM_FAILED;
    }
    if (ebpf && !build_bpf(bundle, p->m, verbose, &p->bpf_obj, err, sizeof err)) {
        fprintf(msg, "%s: error: %s\n", tool, err);
        return PROGRAM_FAILED;
    }
    return PROGRAM_OK;
}

void program_close(LoadedProgram *p)
{
    build_unload(&p->ld);
    free(p->bpf_obj);
    free(p->bundle);
    komon_config_free(p->komon);
    manifest_free(p->m);
    if (p->tmp_bundle) {
        remove_tree(p->tmp_bundle);
        free(p->tmp_bundle);
    }
    memset(p, 0, sizeof *p);
}
