/* komon_config.c - a program's KOMon probe configuration (komon.yaml):
 * what the compiler takes from the program, and the file, written and read
 * through one libcyaml schema. docs/komon.md describes the settings. */
#include "compiler.h"
#include "ir.h"
#include "komon_config.h"

#include <cyaml/cyaml.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "diag.h"

/* ---- the settings, written once ------------------------------------------------ */

typedef enum { K_CBSIZE, K_SAMPLESIZE, K_INTERVALS, K_SLEEP, K__COUNT } Setting;

static const struct {
    const char *name;
    const char *what;
} settings[K__COUNT] = {
    [K_CBSIZE] = {"KOMON_CBSIZE", "a number: the sample buffer's capacity (1 to 1048576, default 4096)"},
    [K_SAMPLESIZE] = {"KOMON_SAMPLESIZE", "a number: the samples per interval (1 to KOMON_CBSIZE, or -1 for all of "
                                          "KOMON_CBSIZE, the default)"},
    [K_INTERVALS] = {"KOMON_INTERVALS", "a number: the intervals to run (0, the default: until stopped)"},
    [K_SLEEP] = {"KOMON_SLEEP", "a duration such as 100ms: the pause between intervals (default 0s)"},
};

static bool reads_samples(const IrQuery *q) { return q->needs[F_PROC_TIME] || q->needs[F_SOCK_BUF]; }

/* The port of a KOMon query: its filter's conjunct dport == PORT (the
 * checker saw to it that there is one; lowering put the constant right). */
static int64_t port_of(const IrExpr *f)
{
    if (!f || f->kind != X_OP)
        return -1;
    if (f->op == OP_AND) {
        for (int i = 0; i < f->nargs; i++) {
            int64_t p = port_of(f->args[i]);
            if (p >= 0)
                return p;
        }
        return -1;
    }
    if (f->op == OP_EQ && f->nargs == 2 && f->args[0]->kind == X_FIELD && f->args[0]->idx == F_DPORT &&
        f->args[1]->kind == X_CONST)
        return f->args[1]->c.i;
    return -1;
}

static Span query_span(const Compiler *c, const IrQuery *q)
{
    const Stmt *s = compiler_query_stmt(c, q->name);
    return s ? s->name_span : q->span;
}

bool komon_config_of(const Compiler *c, const IrProgram *p, KomonConfig *out, bool *has, bool report)
{
    Diag *d = report ? c->diag : NULL;
    int errors = 0;
#define ERR(span, ...)                           \
    do {                                         \
        if (d)                                   \
            diag_error(d, (span), __VA_ARGS__);  \
        errors++;                                \
    } while (0)
    memset(out, 0, sizeof *out);
    out->version = KOMON_CONFIG_VERSION;
    out->cbsize = KOMON_DEFAULT_CBSIZE;
    *has = false;
    /* the ports and the queries */
    const IrQuery *first = NULL;
    for (int i = 0; i < p->nqueries; i++) {
        const IrQuery *q = p->queries[i];
        if (!reads_samples(q))
            continue;
        int64_t port = port_of(q->filter);
        if (port < 0)
            continue; /* reported by the checker */
        if (port == 0)
            ERR(query_span(c, q), "query '%s' watches port 0, which no network function can receive on: name the "
                                  "VNF's UDP port (1 to 65535)",
                q->name);
        if (!first) {
            first = q;
            out->port = (uint16_t)port;
        } else if (port != out->port) {
            ERR(query_span(c, q),
                "query '%s' watches port %lld, but query '%s' watches %u: the KOMon probe watches one port", q->name,
                (long long)port, first->name, (unsigned)out->port);
        }
        if (q->every_ns > 0 && (out->interval_ns == 0 || q->every_ns < out->interval_ns))
            out->interval_ns = q->every_ns;
        char **nq = realloc(out->queries, (out->nqueries + 1) * sizeof *nq);
        if (!nq)
            abort();
        out->queries = nq;
        out->queries[out->nqueries++] = strdup(q->name);
    }
    if (out->interval_ns == 0)
        out->interval_ns = KOMON_DEFAULT_INTERVAL_NS;
    /* the settings: constants with reserved names */
    int64_t samplesize = -1;
    Span at[K__COUNT] = {{0, 0}};
    bool set[K__COUNT] = {false};
    for (int i = 0; i < c->prog.stmts.n; i++) {
        const Stmt *s = c->prog.stmts.v[i];
        if (s->kind != S_CONST || !s->name || strncmp(s->name, "KOMON_", 6) != 0)
            continue;
        int k = 0;
        while (k < K__COUNT && strcmp(settings[k].name, s->name) != 0)
            k++;
        if (k == K__COUNT) {
            const char *names[K__COUNT];
            for (int j = 0; j < K__COUNT; j++)
                names[j] = settings[j].name;
            const char *near = diag_closest(s->name, names, K__COUNT);
            if (near)
                ERR(s->name_span, "unknown KOMon setting '%s'; did you mean '%s'?", s->name, near);
            else
                ERR(s->name_span, "unknown KOMon setting '%s' (KOMON_CBSIZE, KOMON_SAMPLESIZE, KOMON_INTERVALS, "
                                  "KOMON_SLEEP)",
                    s->name);
            continue;
        }
        const Expr *v = s->value;
        if (!v || !v->is_const)
            continue; /* the checker reported it */
        set[k] = true;
        at[k] = v->span;
        bool duration = k == K_SLEEP;
        if (duration ? v->v.ty != TY_DURATION : v->v.ty != TY_INT) {
            ERR(v->span, "%s must be %s", s->name, settings[k].what);
            continue;
        }
        int64_t x = duration ? v->v.ns : v->v.i;
        switch (k) {
        case K_CBSIZE:
            if (x < 1 || x > KOMON_MAX_CBSIZE)
                ERR(v->span, "KOMON_CBSIZE must be from 1 to %d, not %lld", KOMON_MAX_CBSIZE, (long long)x);
            else
                out->cbsize = (uint32_t)x;
            break;
        case K_SAMPLESIZE:
            if (x == 0 || x < -1)
                ERR(v->span, "KOMON_SAMPLESIZE must be from 1 to KOMON_CBSIZE, or -1 (all of KOMON_CBSIZE), not %lld",
                    (long long)x);
            else
                samplesize = x;
            break;
        case K_INTERVALS:
            if (x < 0 || x > UINT32_MAX)
                ERR(v->span, "KOMON_INTERVALS must be 0 (until stopped) or a number of intervals, not %lld",
                    (long long)x);
            else
                out->intervals = (uint32_t)x;
            break;
        case K_SLEEP:
            if (x < 0)
                ERR(v->span, "KOMON_SLEEP must not be negative");
            else
                out->sleep_ns = x;
            break;
        }
    }
    if (samplesize > 0 && (uint64_t)samplesize > out->cbsize) {
        ERR(at[K_SAMPLESIZE], "KOMON_SAMPLESIZE (%lld) is larger than the sample buffer, KOMON_CBSIZE (%u)",
            (long long)samplesize, out->cbsize);
        if (d)
            diag_note(d, set[K_CBSIZE], at[K_CBSIZE], "%s",
                      set[K_CBSIZE] ? "KOMON_CBSIZE is set here" : "KOMON_CBSIZE is 4096 unless the program sets it");
    }
    out->samplesize = samplesize > 0 ? (uint32_t)samplesize : out->cbsize;
    *has = first != NULL;
    if (!*has && d)
        for (int k = 0; k < K__COUNT; k++)
            if (set[k])
                diag_warning(d, at[k], "%s is set, but no query reads KOMon samples (proc_time, sock_buf)",
                             settings[k].name);
#undef ERR
    return errors == 0;
}

/* ---- the file ------------------------------------------------------------------ */

static const cyaml_schema_value_t query_entry = {
    CYAML_VALUE_STRING(CYAML_FLAG_POINTER, char, 1, CYAML_UNLIMITED),
};

static const cyaml_schema_field_t config_fields[] = {
    CYAML_FIELD_UINT("version", CYAML_FLAG_DEFAULT, KomonConfig, version),
    CYAML_FIELD_UINT("port", CYAML_FLAG_DEFAULT, KomonConfig, port),
    CYAML_FIELD_UINT("cbsize", CYAML_FLAG_DEFAULT, KomonConfig, cbsize),
    CYAML_FIELD_UINT("samplesize", CYAML_FLAG_DEFAULT, KomonConfig, samplesize),
    CYAML_FIELD_UINT("intervals", CYAML_FLAG_DEFAULT, KomonConfig, intervals),
    CYAML_FIELD_INT("interval_ns", CYAML_FLAG_DEFAULT, KomonConfig, interval_ns),
    CYAML_FIELD_INT("sleep_ns", CYAML_FLAG_DEFAULT, KomonConfig, sleep_ns),
    CYAML_FIELD_SEQUENCE_COUNT("queries", CYAML_FLAG_POINTER, KomonConfig, queries, nqueries, &query_entry, 1,
                               CYAML_UNLIMITED),
    CYAML_FIELD_END,
};

static const cyaml_schema_value_t config_schema = {
    CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, KomonConfig, config_fields),
};

static const cyaml_config_t cyaml_cfg = {
    .log_fn = NULL,
    .mem_fn = cyaml_mem,
    .log_level = CYAML_LOG_ERROR,
    .flags = CYAML_CFG_DEFAULT | CYAML_CFG_NO_ALIAS,
};

bool komon_config_valid(const KomonConfig *c, char *err, size_t errlen)
{
    if (c->version != KOMON_CONFIG_VERSION)
        snprintf(err, errlen, "KOMon configuration version %u; this equery reads version %d", c->version,
                 KOMON_CONFIG_VERSION);
    else if (c->port == 0)
        snprintf(err, errlen, "KOMon port must be from 1 to 65535");
    else if (c->cbsize < 1 || c->cbsize > KOMON_MAX_CBSIZE)
        snprintf(err, errlen, "KOMon cbsize must be from 1 to %d, not %u", KOMON_MAX_CBSIZE, c->cbsize);
    else if (c->samplesize < 1 || c->samplesize > c->cbsize)
        snprintf(err, errlen, "KOMon samplesize must be from 1 to cbsize (%u), not %u", c->cbsize, c->samplesize);
    else if (c->interval_ns <= 0)
        snprintf(err, errlen, "KOMon interval_ns must be positive");
    else if (c->sleep_ns < 0)
        snprintf(err, errlen, "KOMon sleep_ns must not be negative");
    else
        return true;
    return false;
}

bool komon_config_save(const char *path, const KomonConfig *c, char *err, size_t errlen)
{
    if (!komon_config_valid(c, err, errlen))
        return false;
    cyaml_err_t e = cyaml_save_file(path, &cyaml_cfg, &config_schema, c, 0);
    if (e != CYAML_OK) {
        snprintf(err, errlen, "cannot write '%s': %s", path, cyaml_strerror(e));
        return false;
    }
    return true;
}

bool komon_config_print(FILE *out, const KomonConfig *c, char *err, size_t errlen)
{
    if (!komon_config_valid(c, err, errlen))
        return false;
    char *text = NULL;
    size_t len = 0;
    cyaml_err_t e = cyaml_save_data(&text, &len, &cyaml_cfg, &config_schema, c, 0);
    if (e != CYAML_OK) {
        snprintf(err, errlen, "cannot write the KOMon configuration: %s", cyaml_strerror(e));
        return false;
    }
    fwrite(text, 1, len, out);
    cyaml_cfg.mem_fn(cyaml_cfg.mem_ctx, text, 0);
    return true;
}

KomonConfig *komon_config_load(const char *path, char *err, size_t errlen)
{
    KomonConfig *c = NULL;
    cyaml_err_t e = cyaml_load_file(path, &cyaml_cfg, &config_schema, (cyaml_data_t **)&c, NULL);
    if (e != CYAML_OK) {
        snprintf(err, errlen, "cannot read the KOMon configuration '%s': %s", path, cyaml_strerror(e));
        return NULL;
    }
    char why[256];
    if (!komon_config_valid(c, why, sizeof why)) {
        snprintf(err, errlen, "%s: %s", path, why);
        komon_config_free(c);
        return NULL;
    }
    return c;
}

void komon_config_free(KomonConfig *c)
{
    if (c)
        cyaml_free(&cyaml_cfg, &config_schema, c, 0);
}

void komon_config_clear(KomonConfig *c)
{
    for (unsigned i = 0; i < c->nqueries; i++)
        free(c->queries[i]);
    free(c->queries);
    c->queries = NULL;
    c->nqueries = 0;
}
