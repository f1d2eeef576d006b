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

enum { MAX_SOURCE = 16 << 20 };

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void remove_tree(const char *dir) { nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS); }

/* Compiles a .eq file into a temporary bundle; its folder, or NULL after
 * printing why (*status set). */
static char *compile_program(const char *tool, const char *path, bool ebpf, FILE *msg, int *status)
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
    compiler_init(&c, path, src, len, msg);
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

int program_open_msg(const char *tool, const char *path, bool verbose, bool ebpf, FILE *msg, LoadedProgram *p)
{
    memset(p, 0, sizeof *p);
    struct stat st;
    const char *bundle = path;
    int status = PROGRAM_OK;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
        p->tmp_bundle = compile_program(tool, path, ebpf, msg, &status);
        if (!p->tmp_bundle)
            return status;
        bundle = p->tmp_bundle;
    }
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
