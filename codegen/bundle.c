/* bundle.c - writing bundles; see bundle.h. */
#define _GNU_SOURCE
#include "bundle.h"

#include "komon_config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "c_gen.h"
#include "ebpf_gen.h"
#include "sha256.h"

static char *xstrdup(const char *s)
{
    char *d = strdup(s ? s : "");
    if (!d)
        abort();
    return d;
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p)
        abort();
    return p;
}

/* The text of an IR expression, as the dumps print it. */
static char *expr_text(const IrProgram *p, const IrQuery *q, const IrExpr *e)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        abort();
    ir_print_expr(f, p, q, e);
    fclose(f);
    return buf;
}

/* A When expression back in EQuery's syntax: e1 & ~(e2 | e3). */
static void when_text(FILE *f, const IrProgram *p, const IrExpr *e, bool nested)
{
    if (e->kind == X_EVENT) {
        fputs(p->events[e->event]->name, f);
        return;
    }
    if (e->op == OP_NOT) {
        fputc('~', f);
        when_text(f, p, e->args[0], true);
        return;
    }
    if (nested)
        fputc('(', f);
    for (int i = 0; i < e->nargs; i++) {
        if (i)
            fputs(e->op == OP_AND ? " & " : " | ", f);
        when_text(f, p, e->args[i], true);
    }
    if (nested)
        fputc(')', f);
}

static void collect_events(const IrExpr *e, bool *used)
{
    if (e->kind == X_EVENT)
        used[e->event] = true;
    for (int i = 0; i < e->nargs; i++)
        collect_events(e->args[i], used);
}

/* A column's origin for the manifest (manifest.h), when it is a plain key,
 * field or state over all directions; NULL when it is computed. */
static char *column_origin(const IrQuery *q, const IrExpr *e)
{
    char buf[64];
    if (e->kind == X_KEY)
        snprintf(buf, sizeof buf, "key:%s", cat_fields[q->keys[e->idx]].name);
    else if (e->kind == X_FIELD)
        snprintf(buf, sizeof buf, "field:%s", cat_fields[e->idx].name);
    else if (e->kind == X_STATE && q->states[e->idx]->dir == DIR_ANY) {
        const IrState *st = q->states[e->idx];
        if (!st->arg)
            snprintf(buf, sizeof buf, "%s", ir_state_names[st->kind]);
        else if (st->arg->kind == X_FIELD)
            snprintf(buf, sizeof buf, "%s:%s", ir_state_names[st->kind], cat_fields[st->arg->idx].name);
        else
            return NULL;
    } else
        return NULL;
    return xstrdup(buf);
}

static void fill_query(MQuery *mq, const IrProgram *p, const IrQuery *q)
{
    mq->name = xstrdup(q->name);
    mq->line = (uint32_t)q->line;
    mq->aggregate = q->aggregate;
    mq->bidir = q->bidir;
    mq->nkeys = (unsigned)q->nkeys;
    mq->keys = xcalloc((size_t)q->nkeys, sizeof(char *));
    for (int i = 0; i < q->nkeys; i++)
        mq->keys[i] = xstrdup(cat_fields[q->keys[i]].name);
    mq->ncolumns = (unsigned)q->ncolumns;
    mq->columns = xcalloc((size_t)q->ncolumns, sizeof(MColumn));
    for (int i = 0; i < q->ncolumns; i++) {
        mq->columns[i].name = xstrdup(q->columns[i].name);
        mq->columns[i].type = xstrdup(cat_type_names[q->columns[i].ty]);
        mq->columns[i].origin = column_origin(q, q->columns[i].e);
    }
    mq->every_ns = (uint64_t)q->every_ns;
    mq->within_ns = (uint64_t)q->within_ns;
    mq->start = xstrdup(q->start_kind == START_AT ? "at" : q->start_kind == START_OFFSET ? "offset" : "launch");
    mq->start_ns = q->start_ns;
    if (q->trigger) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        if (!f)
            abort();
        when_text(f, p, q->trigger, false);
        fclose(f);
        mq->trigger = buf;
        bool *used = xcalloc((size_t)p->nevents, sizeof(bool));
        collect_events(q->trigger, used);
        mq->trigger_events = xcalloc((size_t)p->nevents, sizeof(char *));
        for (int i = 0; i < p->nevents; i++)
            if (used[i])
                mq->trigger_events[mq->ntrigger_events++] = xstrdup(p->events[i]->name);
        free(used);
    }
    mq->nparams = (unsigned)q->nparams;
    mq->params = xcalloc((size_t)q->nparams, sizeof(MParam));
    for (int i = 0; i < q->nparams; i++) {
        const IrEvent *ev = p->events[q->params[i].event];
        const IrColumn *col = &p->queries[ev->query]->columns[q->params[i].column];
        mq->params[i].event = xstrdup(ev->name);
        mq->params[i].column = xstrdup(col->name);
        mq->params[i].type = xstrdup(cat_type_names[col->ty]);
        mq->params[i].carried = q->params[i].carried;
    }
    mq->norder = (unsigned)q->norder;
    mq->order = q->norder ? xcalloc((size_t)q->norder, sizeof(MOrder)) : NULL;
    for (int i = 0; i < q->norder; i++) {
        mq->order[i].column = xstrdup(q->columns[q->order_cols[i]].name);
        mq->order[i].desc = q->order_desc[i];
    }
    mq->limit = (uint64_t)q->limit;
    mq->reads = xcalloc(F__COUNT, sizeof(char *));
    for (int f = 0; f < F__COUNT; f++)
        if (q->needs[f])
            mq->reads[mq->nreads++] = xstrdup(cat_fields[f].name);
    mq->backends = xcalloc(BK__COUNT, sizeof(char *));
    for (int i = 0; i < BK__COUNT; i++)
        if (q->backends & (1u << i))
            mq->backends[mq->nbackends++] = xstrdup(cat_backend_names[i]);
}

Manifest *bundle_manifest(const Compiler *c, const IrProgram *p, const char *c_sha256, const char *compiler_version)
{
    Manifest *m = xcalloc(1, sizeof *m);
    char hex[65];
    m->version = MANIFEST_VERSION;
    m->compiler = xstrdup(compiler_version);
    m->source = xstrdup(c->file);
    sha256_hex(c->src, c->len, hex);
    m->source_sha256 = xstrdup(hex);
    m->c_source = xstrdup(BUNDLE_C_SOURCE);
    m->c_sha256 = xstrdup(c_sha256);
    m->nqueries = (unsigned)p->nqueries;
    m->queries = xcalloc((size_t)p->nqueries, sizeof(MQuery));
    for (int i = 0; i < p->nqueries; i++) {
        fill_query(&m->queries[i], p, p->queries[i]);
        for (int k = 0; k < p->queries[i]->nstates; k++)
            m->tcp_loss |= p->queries[i]->states[k]->kind == ST_TCP_LOSS;
    }
    m->nevents = (unsigned)p->nevents;
    m->events = xcalloc((size_t)p->nevents, sizeof(MEvent));
    for (int i = 0; i < p->nevents; i++) {
        const IrEvent *ev = p->events[i];
        MEvent *me = &m->events[i];
        me->name = xstrdup(ev->name);
        me->line = (uint32_t)ev->line;
        me->query = xstrdup(p->queries[ev->query]->name);
        me->predicate = expr_text(p, p->queries[ev->query], ev->pred);
        me->nstarts = (unsigned)ev->nstarts;
        me->starts = xcalloc((size_t)ev->nstarts, sizeof(char *));
        for (int k = 0; k < ev->nstarts; k++)
            me->starts[k] = xstrdup(p->queries[ev->starts[k]]->name);
    }
    return m;
}

/* As `cc -c` writes its object: in the current folder, named after the
 * source file without its folders and its .eq. */
char *bundle_default_dir(const char *source_path)
{
    const char *name = strrchr(source_path, '/');
    name = name ? name + 1 : source_path;
    size_t n = strlen(name);
    if (n > 3 && !strcmp(name + n - 3, ".eq"))
        return strndup(name, n - 3);
    char *d = NULL;
    if (asprintf(&d, "%s.bundle", name) < 0)
        abort();
    return d;
}

/* Writes `len` bytes to dir/name through a temporary file and a rename, so
 * a reader never sees half a file. */
static bool write_file(const char *dir, const char *name, const char *data, size_t len, char *err, size_t errlen)
{
    char *path = NULL, *tmp = NULL;
    bool ok = false;
    if (asprintf(&path, "%s/%s", dir, name) < 0 || asprintf(&tmp, "%s/.%s.tmp", dir, name) < 0)
        abort();
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        snprintf(err, errlen, "cannot write '%s': %s", tmp, strerror(errno));
        goto out;
    }
    size_t wrote = fwrite(data, 1, len, f);
    if (fclose(f) != 0 || wrote != len) {
        snprintf(err, errlen, "cannot write '%s': %s", tmp, strerror(errno));
        unlink(tmp);
        goto out;
    }
    if (rename(tmp, path) != 0) {
        snprintf(err, errlen, "cannot rename '%s' to '%s': %s", tmp, path, strerror(errno));
        unlink(tmp);
        goto out;
    }
    ok = true;
out:
    free(path);
    free(tmp);
    return ok;
}

/* Generates a file with `gen` and writes it to dir/name; its SHA-256 in
 * hex (if wanted). */
static bool write_generated(const char *dir, const char *name,
                            void (*gen)(FILE *, const Compiler *, const IrProgram *), const Compiler *c,
                            const IrProgram *p, char hex[65], char *err, size_t errlen)
{
    char *code = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&code, &len);
    if (!f)
        abort();
    gen(f, c, p);
    fclose(f);
    bool ok = write_file(dir, name, code, len, err, errlen);
    if (hex)
        sha256_hex(code, len, hex);
    free(code);
    return ok;
}

bool bundle_write(const Compiler *c, const IrProgram *p, const char *dir, const char *compiler_version, char *err,
                  size_t errlen)
{
    return bundle_write_target(c, p, dir, compiler_version, BUNDLE_TARGET_C, err, errlen);
}

bool bundle_write_target(const Compiler *c, const IrProgram *p, const char *dir, const char *compiler_version,
                         BundleTarget target, char *err, size_t errlen)
{
    struct stat st;
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create the bundle folder '%s': %s", dir, strerror(errno));
        return false;
    }
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "'%s' exists and is not a folder", dir);
        return false;
    }
    /* the header first: program.c checks that it is its own */
    char hex[65];
    /* the program's own text: what equery-run compiles (docs/bundle.md, Security) */
    if (!write_file(dir, BUNDLE_EQ_SOURCE, c->src, c->len, err, errlen) ||
        !write_generated(dir, BUNDLE_HEADER, cgen_header, c, p, NULL, err, errlen) ||
        !write_generated(dir, BUNDLE_C_SOURCE, cgen_program, c, p, hex, err, errlen))
        return false;
    char bpf_hex[65] = "";
    if (target == BUNDLE_TARGET_EBPF) {
        if (!write_generated(dir, BUNDLE_BPF_SOURCE, ebpf_program, c, p, bpf_hex, err, errlen))
            return false;
    } else {
        char *stale = NULL;
        if (asprintf(&stale, "%s/%s", dir, BUNDLE_BPF_SOURCE) < 0)
            abort();
        if (unlink(stale) != 0 && errno != ENOENT) {
            snprintf(err, errlen, "cannot remove '%s' left from an eBPF bundle: %s", stale, strerror(errno));
            free(stale);
            return false;
        }
        free(stale);
    }
    /* the KOMon probe's configuration, when a query reads samples */
    KomonConfig kc;
    bool has_komon = false;
    char *kpath = NULL;
    if (asprintf(&kpath, "%s/%s", dir, BUNDLE_KOMON_CONFIG) < 0)
        abort();
    if (!komon_config_of(c, p, &kc, &has_komon, false)) {
        snprintf(err, errlen, "the program's KOMon settings are wrong (equeryc --check says where)");
        komon_config_clear(&kc);
        free(kpath);
        return false;
    }
    if (has_komon ? !komon_config_save(kpath, &kc, err, errlen) : (unlink(kpath) != 0 && errno != ENOENT)) {
        if (!has_komon)
            snprintf(err, errlen, "cannot remove '%s': %s", kpath, strerror(errno));
        komon_config_clear(&kc);
        free(kpath);
        return false;
    }
    komon_config_clear(&kc);
    free(kpath);
    bool ok;
    Manifest *m = bundle_manifest(c, p, hex, compiler_version);
    if (has_komon)
        m->komon_config = strdup(BUNDLE_KOMON_CONFIG);
    if (bpf_hex[0]) {
        m->bpf_source = strdup(BUNDLE_BPF_SOURCE);
        m->bpf_sha256 = strdup(bpf_hex);
    }
    char *path = NULL, *tmp = NULL;
    if (asprintf(&path, "%s/%s", dir, BUNDLE_MANIFEST) < 0 || asprintf(&tmp, "%s/.%s.tmp", dir, BUNDLE_MANIFEST) < 0)
        abort();
    ok = manifest_save(tmp, m, err, errlen);
    if (ok && rename(tmp, path) != 0) {
        snprintf(err, errlen, "cannot rename '%s' to '%s': %s", tmp, path, strerror(errno));
        ok = false;
    }
    if (!ok)
        unlink(tmp);
    free(path);
    free(tmp);
    manifest_free(m);
    return ok;
}
