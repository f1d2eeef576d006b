/* manifest.c - reading and writing a bundle's manifest.yaml with libcyaml.
 *
 * One schema describes the format for both directions, so what equeryc
 * writes is by construction what equery-run reads. libcyaml checks the
 * shape (keys, scalar types, required fields); validate() below checks the
 * meaning (unique names, resolvable references, known types). A bundle may
 * come from anywhere, so the loader trusts nothing it has not checked:
 * every name the runtime might put into a C identifier, an output file name
 * or a compiler command line must pass these rules first. docs/bundle.md
 * lists them. */
#include "manifest.h"
#include "catalog.h"

#include <cyaml/cyaml.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

enum {
    LOG_TEXT_MAX = 1024, /* libcyaml's messages for one failure; longer ones are cut */
    SHA256_HEX_DIGITS = 64,
};

/* ---- schema --------------------------------------------------------------- */

/* Every string of the format is a separate allocation that is never NULL
 * unless its field is optional; the empty string is never meaningful. */
#define STRING(key, flags, type, member) \
    CYAML_FIELD_STRING_PTR(key, (flags) | CYAML_FLAG_POINTER, type, member, 1, CYAML_UNLIMITED)

/* Sequences live in a pointer plus an `n...` count, which is not the
 * `member_count` spelling CYAML_FIELD_SEQUENCE expects. An empty sequence is
 * left out when saving (libcyaml skips NULL optional pointers), so every
 * sequence but `queries` and `columns` is optional when loading. */
#define SEQUENCE(key, flags, type, member, count, entry, min) \
    CYAML_FIELD_SEQUENCE_COUNT(key, (flags) | CYAML_FLAG_POINTER, type, member, count, entry, min, CYAML_UNLIMITED)

static const cyaml_schema_value_t name_entry = {
    CYAML_VALUE_STRING(CYAML_FLAG_POINTER, char, 1, CYAML_UNLIMITED),
};

static const cyaml_schema_field_t column_fields[] = {
    STRING("name", CYAML_FLAG_DEFAULT, MColumn, name),
    STRING("type", CYAML_FLAG_DEFAULT, MColumn, type),
    STRING("origin", CYAML_FLAG_OPTIONAL, MColumn, origin),
    CYAML_FIELD_END,
};

/* Columns and parameters are short records: flow style keeps each on one
 * line, which is easier to read than three. */
static const cyaml_schema_value_t column_entry = {
    CYAML_VALUE_MAPPING(CYAML_FLAG_FLOW, MColumn, column_fields),
};

static const cyaml_schema_field_t param_fields[] = {
    STRING("event", CYAML_FLAG_DEFAULT, MParam, event),
    STRING("column", CYAML_FLAG_DEFAULT, MParam, column),
    STRING("type", CYAML_FLAG_DEFAULT, MParam, type),
    CYAML_FIELD_BOOL("carried", CYAML_FLAG_OPTIONAL, MParam, carried),
    CYAML_FIELD_END,
};

static const cyaml_schema_value_t param_entry = {
    CYAML_VALUE_MAPPING(CYAML_FLAG_FLOW, MParam, param_fields),
};

static const cyaml_schema_field_t order_fields[] = {
    STRING("column", CYAML_FLAG_DEFAULT, MOrder, column),
    CYAML_FIELD_BOOL("desc", CYAML_FLAG_DEFAULT, MOrder, desc),
    CYAML_FIELD_END,
};

static const cyaml_schema_value_t order_entry = {
    CYAML_VALUE_MAPPING(CYAML_FLAG_FLOW, MOrder, order_fields),
};

static const cyaml_schema_field_t query_fields[] = {
    STRING("name", CYAML_FLAG_DEFAULT, MQuery, name),
    CYAML_FIELD_UINT("line", CYAML_FLAG_DEFAULT, MQuery, line),
    CYAML_FIELD_BOOL("aggregate", CYAML_FLAG_DEFAULT, MQuery, aggregate),
    CYAML_FIELD_BOOL("bidir", CYAML_FLAG_DEFAULT, MQuery, bidir),
    SEQUENCE("keys", CYAML_FLAG_OPTIONAL | CYAML_FLAG_FLOW, MQuery, keys, nkeys, &name_entry, 0),
    SEQUENCE("columns", CYAML_FLAG_DEFAULT, MQuery, columns, ncolumns, &column_entry, 1),
    CYAML_FIELD_UINT("every_ns", CYAML_FLAG_DEFAULT, MQuery, every_ns),
    CYAML_FIELD_UINT("within_ns", CYAML_FLAG_DEFAULT, MQuery, within_ns),
    STRING("start", CYAML_FLAG_DEFAULT, MQuery, start),
    CYAML_FIELD_INT("start_ns", CYAML_FLAG_DEFAULT, MQuery, start_ns),
    STRING("trigger", CYAML_FLAG_OPTIONAL, MQuery, trigger),
    SEQUENCE("trigger_events", CYAML_FLAG_OPTIONAL | CYAML_FLAG_FLOW, MQuery, trigger_events, ntrigger_events,
             &name_entry, 0),
    SEQUENCE("params", CYAML_FLAG_OPTIONAL, MQuery, params, nparams, &param_entry, 0),
    SEQUENCE("order", CYAML_FLAG_OPTIONAL, MQuery, order, norder, &order_entry, 0),
    CYAML_FIELD_UINT("limit", CYAML_FLAG_OPTIONAL, MQuery, limit),
    SEQUENCE("reads", CYAML_FLAG_OPTIONAL | CYAML_FLAG_FLOW, MQuery, reads, nreads, &name_entry, 0),
    SEQUENCE("backends", CYAML_FLAG_OPTIONAL | CYAML_FLAG_FLOW, MQuery, backends, nbackends, &name_entry, 0),
    CYAML_FIELD_END,
};

static const cyaml_schema_value_t query_entry = {
    CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, MQuery, query_fields),
};

static const cyaml_schema_field_t event_fields[] = {
    STRING("name", CYAML_FLAG_DEFAULT, MEvent, name),
    CYAML_FIELD_UINT("line", CYAML_FLAG_DEFAULT, MEvent, line),
    STRING("query", CYAML_FLAG_DEFAULT, MEvent, query),
    STRING("predicate", CYAML_FLAG_DEFAULT, MEvent, predicate),
    SEQUENCE("starts", CYAML_FLAG_OPTIONAL | CYAML_FLAG_FLOW, MEvent, starts, nstarts, &name_entry, 0),
    CYAML_FIELD_END,
};

static const cyaml_schema_value_t event_entry = {
    CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, MEvent, event_fields),
};

static const cyaml_schema_field_t manifest_fields[] = {
    CYAML_FIELD_UINT("version", CYAML_FLAG_DEFAULT, Manifest, version),
    STRING("compiler", CYAML_FLAG_DEFAULT, Manifest, compiler),
    STRING("source", CYAML_FLAG_DEFAULT, Manifest, source),
    STRING("source_sha256", CYAML_FLAG_DEFAULT, Manifest, source_sha256),
    STRING("c_source", CYAML_FLAG_DEFAULT, Manifest, c_source),
    STRING("c_sha256", CYAML_FLAG_DEFAULT, Manifest, c_sha256),
    STRING("komon_config", CYAML_FLAG_OPTIONAL, Manifest, komon_config),
    STRING("bpf_source", CYAML_FLAG_OPTIONAL, Manifest, bpf_source),
    STRING("bpf_sha256", CYAML_FLAG_OPTIONAL, Manifest, bpf_sha256),
    CYAML_FIELD_BOOL("tcp_loss", CYAML_FLAG_DEFAULT, Manifest, tcp_loss),
    SEQUENCE("queries", CYAML_FLAG_BLOCK, Manifest, queries, nqueries, &query_entry, 1),
    SEQUENCE("events", CYAML_FLAG_OPTIONAL | CYAML_FLAG_BLOCK, Manifest, events, nevents, &event_entry, 0),
    CYAML_FIELD_END,
};

static const cyaml_schema_value_t manifest_schema = {
    CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, Manifest, manifest_fields),
};

/* The version is read on its own first, ignoring every other key: a
 * manifest from another equeryc may differ in any other field, and its
 * reader deserves "rebuild the bundle" rather than "unexpected key". */
typedef struct {
    uint32_t version;
} VersionProbe;

static const cyaml_schema_field_t probe_fields[] = {
    CYAML_FIELD_UINT("version", CYAML_FLAG_DEFAULT, VersionProbe, version),
    CYAML_FIELD_END,
};

static const cyaml_schema_value_t probe_schema = {
    CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, VersionProbe, probe_fields),
};

/* ---- libcyaml's messages -------------------------------------------------- */

/* libcyaml reports a failure as several log lines ("Load: Missing required
 * mapping field: x", "Load: Backtrace:", "  in mapping field 'y' (line: 3,
 * column: 5)"). They are gathered into one line for `err` instead of going
 * to stderr, where a library has no business writing. */
typedef struct {
    char text[LOG_TEXT_MAX];
    size_t len;
    bool has_reason; /* some failures (an alias) log only the backtrace */
} LogText;

static void collect_log(cyaml_log_t level, void *ctx, const char *fmt, va_list args)
{
    LogText *log = ctx;
    char line[LOG_TEXT_MAX];
    (void)level; /* the config's log_level already filters */

    vsnprintf(line, sizeof line, fmt, args);
    /* Drop the "Load: "/"Save: " prefix, the indentation and the newline,
     * and the "Backtrace:" header, which says nothing on one line. */
    char *s = line;
    if (!strncmp(s, "Load: ", 6) || !strncmp(s, "Save: ", 6))
        s += 6;
    s += strspn(s, " \t");
    s[strcspn(s, "\r\n")] = '\0';
    if (*s == '\0' || !strcmp(s, "Backtrace:"))
        return;
    if (strncmp(s, "in ", 3) != 0)
        log->has_reason = true;
    if (log->len >= sizeof log->text - 1)
        return;
    int n = snprintf(log->text + log->len, sizeof log->text - log->len, "%s%s", log->len ? "; " : "", s);
    if (n > 0)
        log->len += (size_t)n;
    if (log->len > sizeof log->text - 1)
        log->len = sizeof log->text - 1;
}

static void log_reset(LogText *log)
{
    log->len = 0;
    log->text[0] = '\0';
    log->has_reason = false;
}

static cyaml_config_t make_config(LogText *log, cyaml_cfg_flags_t flags)
{
    log_reset(log);
    return (cyaml_config_t){
        .log_fn = collect_log,
        .log_ctx = log,
        .mem_fn = cyaml_mem,
        .log_level = CYAML_LOG_ERROR,
        .flags = flags,
    };
}

__attribute__((format(printf, 4, 5)))
static bool report(char *err, size_t errlen, const char *path, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return false;
    int n = snprintf(err, errlen, "%s: ", path);
    if (n >= 0 && (size_t)n < errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return false;
}

/* A libcyaml failure, passed through with the file name. `os_errno` is
 * errno right after the call, which explains a file that would not open. */
static void report_cyaml(char *err, size_t errlen, const char *path, cyaml_err_t e, const LogText *log,
                         int os_errno)
{
    if (log->len > 0 && log->has_reason)
        report(err, errlen, path, "%s", log->text);
    else if (log->len > 0)
        report(err, errlen, path, "%s; %s", cyaml_strerror(e), log->text);
    else if (e == CYAML_ERR_FILE_OPEN && os_errno != 0)
        report(err, errlen, path, "%s: %s", cyaml_strerror(e), strerror(os_errno));
    else
        report(err, errlen, path, "%s", cyaml_strerror(e));
}

/* ---- validation ----------------------------------------------------------- */

static const char *const START_NAMES[] = {"launch", "at", "offset"};

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

typedef struct {
    const char *path;
    char *err;
    size_t errlen;
} Check;

/* Reports the first problem found; always returns false so callers can
 * write `return fail(...)`. */
__attribute__((format(printf, 2, 3)))
static bool fail(const Check *c, const char *fmt, ...)
{
    char msg[LOG_TEXT_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return report(c->err, c->errlen, c->path, "%s", msg);
}

static bool one_of(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(s, list[i]))
            return true;
    return false;
}

/* The value types a column or a drill-down parameter may have: the types
 * of the language that can be a row value (types.def's ROWTYPEs). */
static bool is_row_type(const char *s)
{
    for (int t = 0; t < TY__COUNT; t++)
        if (cat_type_is_row[t] && !strcmp(s, cat_type_names[t]))
            return true;
    return false;
}

static bool is_alpha(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_';
}

static bool is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

/* Query, event, column and field names are identifiers of the language.
 * Holding the runtime to that keeps a crafted bundle from smuggling '/',
 * quotes or control characters into file names, C code or terminals. */
static bool is_identifier(const char *s)
{
    if (!s || !is_alpha(*s))
        return false;
    for (s++; *s; s++)
        if (!is_alpha(*s) && !is_digit(*s))
            return false;
    return true;
}

/* A column's origin (manifest.h): "key:FIELD", "field:FIELD", "STATE" or
 * "STATE:FIELD", the names from the catalogues. */
static const char *const state_names[] = {
#define STATE(id, name, merge, desc) name,
#include "states.def"
#undef STATE
};

static bool is_origin(const char *s)
{
    const char *colon = strchr(s, ':');
    size_t n = colon ? (size_t)(colon - s) : strlen(s);
    if (colon && cat_field(colon + 1) < 0)
        return false;
    if (colon && (n == 3 && !strncmp(s, "key", 3)))
        return true;
    if (colon && (n == 5 && !strncmp(s, "field", 5)))
        return true;
    for (size_t k = 0; k < sizeof state_names / sizeof state_names[0]; k++)
        if (strlen(state_names[k]) == n && !strncmp(s, state_names[k], n))
            return true;
    return false;
}

/* A file directly inside the bundle folder. Besides '/' and "..", a
 * leading '-' is refused so that the name cannot read as a compiler option,
 * and a leading '.' so that it is never hidden or "." itself. */
static bool is_plain_file_name(const char *s)
{
    if (!s || *s == '\0' || *s == '-' || *s == '.')
        return false;
    if (strchr(s, '/') || strstr(s, ".."))
        return false;
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return false;
    return true;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

/* Lowercase, as sha256_hex writes it: the runtime compares digests as
 * strings, so another spelling would only fail later and less clearly. */
static bool is_sha256_hex(const char *s)
{
    if (!s)
        return false;
    size_t i = 0;
    for (; s[i]; i++)
        if (!is_digit(s[i]) && !(s[i] >= 'a' && s[i] <= 'f'))
            return false;
    return i == SHA256_HEX_DIGITS;
}

/* A sequence built in memory for manifest_save must have its storage. */
static bool has_storage(const void *items, unsigned n)
{
    return n == 0 || items != NULL;
}

/* ---- name tables ---- */

/* Names sorted for lookup, so that a large (or hostile) manifest costs
 * n log n rather than n squared. */
typedef struct {
    const char *name;
    unsigned idx;
} NameIdx;

static int cmp_name_idx(const void *a, const void *b)
{
    const NameIdx *x = a, *y = b;
    int d = strcmp(x->name, y->name);
    /* Ties by position, so a duplicate is reported at its second place. */
    return d ? d : (x->idx > y->idx) - (x->idx < y->idx);
}

/* Builds the sorted table of the `name` member (at `name_offset`) of `n`
 * records of `stride` bytes. On a duplicate, sets *dup to its name. NULL
 * when out of memory. The names must already be identifiers. */
static NameIdx *name_table(const void *records, unsigned n, size_t stride, size_t name_offset, const char **dup)
{
    NameIdx *t = malloc(((size_t)n + 1) * sizeof *t); /* +1: malloc(0) may be NULL */
    if (!t)
        return NULL;
    const char *base = records;
    for (unsigned i = 0; i < n; i++) {
        t[i].name = *(char *const *)(const void *)(base + (size_t)i * stride + name_offset);
        t[i].idx = i;
    }
    qsort(t, n, sizeof *t, cmp_name_idx);
    *dup = NULL;
    for (unsigned i = 1; i < n && !*dup; i++)
        if (!strcmp(t[i - 1].name, t[i].name))
            *dup = t[i].name;
    return t;
}

/* Index of `name` in the table, or -1. */
static long lookup(const NameIdx *t, unsigned n, const char *name)
{
    unsigned lo = 0, hi = n;
    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;
        int d = strcmp(name, t[mid].name);
        if (d == 0)
            return (long)t[mid].idx;
        if (d < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return -1;
}

static bool contains(char *const *list, unsigned n, const char *name)
{
    for (unsigned i = 0; i < n; i++)
        if (!strcmp(list[i], name))
            return true;
    return false;
}

static const MColumn *find_column(const MQuery *q, const char *name)
{
    for (unsigned i = 0; i < q->ncolumns; i++)
        if (!strcmp(q->columns[i].name, name))
            return &q->columns[i];
    return NULL;
}

/* Everything in `m` is checked here, in memory, so that manifest_save can
 * refuse to write what manifest_load would refuse to read. */
typedef struct {
    const Manifest *m;
    const Check *c;
    NameIdx *queries; /* sorted query names */
    NameIdx *events;  /* sorted event names */
} Program;

static bool check_header(const Check *c, const Manifest *m)
{
    if (!m->compiler || !*m->compiler)
        return fail(c, "compiler is missing");
    if (!m->source || !*m->source)
        return fail(c, "source is missing");
    if (!is_sha256_hex(m->source_sha256))
        return fail(c, "source_sha256 '%s' is not 64 lowercase hexadecimal digits",
                    m->source_sha256 ? m->source_sha256 : "");
    if (!is_plain_file_name(m->c_source) || !ends_with(m->c_source, ".c"))
        return fail(c, "c_source '%s' must be a plain file name in the bundle ending in .c (no '/', no '..', "
                       "not starting with '.' or '-')",
                    m->c_source ? m->c_source : "");
    if (!is_sha256_hex(m->c_sha256))
        return fail(c, "c_sha256 '%s' is not 64 lowercase hexadecimal digits", m->c_sha256 ? m->c_sha256 : "");
    if (m->komon_config && !is_plain_file_name(m->komon_config))
        return fail(c, "komon_config '%s' must be a plain file name in the bundle (no '/', no '..', "
                       "not starting with '.' or '-')",
                    m->komon_config);
    if (m->bpf_source && (!is_plain_file_name(m->bpf_source) || !ends_with(m->bpf_source, ".bpf.c")))
        return fail(c, "bpf_source '%s' must be a plain file name in the bundle ending in .bpf.c (no '/', no '..', "
                       "not starting with '.' or '-')",
                    m->bpf_source);
    if (!m->bpf_source != !m->bpf_sha256)
        return fail(c, "bpf_source and bpf_sha256 go together");
    if (m->bpf_sha256 && !is_sha256_hex(m->bpf_sha256))
        return fail(c, "bpf_sha256 '%s' is not 64 lowercase hexadecimal digits", m->bpf_sha256);
    if (m->nqueries == 0 || !m->queries)
        return fail(c, "the program has no queries");
    if (!has_storage(m->events, m->nevents))
        return fail(c, "events: %u entries but no storage", m->nevents);
    return true;
}

/* Query and event names first: every later lookup and message uses them. */
static bool check_names(const Check *c, const Manifest *m)
{
    for (unsigned i = 0; i < m->nqueries; i++) {
        const MQuery *q = &m->queries[i];
        if (!is_identifier(q->name))
            return fail(c, "query %u: name '%s' is not an identifier", i + 1, q->name ? q->name : "");
    }
    for (unsigned i = 0; i < m->nevents; i++) {
        const MEvent *e = &m->events[i];
        if (!is_identifier(e->name))
            return fail(c, "event %u: name '%s' is not an identifier", i + 1, e->name ? e->name : "");
    }
    return true;
}

static bool check_query_shape(const Check *c, const MQuery *q)
{
    if (!has_storage(q->keys, q->nkeys) || !has_storage(q->columns, q->ncolumns) ||
        !has_storage(q->trigger_events, q->ntrigger_events) || !has_storage(q->params, q->nparams) ||
        !has_storage(q->reads, q->nreads) || !has_storage(q->backends, q->nbackends) ||
        !has_storage(q->order, q->norder))
        return fail(c, "query '%s': a list has entries but no storage", q->name);
    if (q->ncolumns == 0)
        return fail(c, "query '%s': no columns", q->name);
    for (unsigned i = 0; i < q->norder; i++)
        if (!q->order[i].column || !find_column(q, q->order[i].column))
            return fail(c, "query '%s': order: '%s' is not a column", q->name,
                        q->order[i].column ? q->order[i].column : "");
    if (q->limit && !q->norder)
        return fail(c, "query '%s': a limit without an order", q->name);

    for (unsigned i = 0; i < q->nkeys; i++)
        if (!is_identifier(q->keys[i]))
            return fail(c, "query '%s': key '%s' is not a field name", q->name, q->keys[i] ? q->keys[i] : "");
    for (unsigned i = 0; i < q->ncolumns; i++) {
        const MColumn *col = &q->columns[i];
        if (!is_identifier(col->name))
            return fail(c, "query '%s': column %u: name '%s' is not an identifier", q->name, i + 1,
                        col->name ? col->name : "");
        if (!col->type || !is_row_type(col->type))
            return fail(c, "query '%s': column '%s': unknown type '%s'", q->name, col->name,
                        col->type ? col->type : "");
        if (col->origin && !is_origin(col->origin))
            return fail(c, "query '%s': column '%s': origin '%s' is not key:FIELD, field:FIELD, STATE or "
                           "STATE:FIELD",
                        q->name, col->name, col->origin);
    }
    for (unsigned i = 0; i < q->nreads; i++)
        if (!is_identifier(q->reads[i]))
            return fail(c, "query '%s': read field '%s' is not a field name", q->name,
                        q->reads[i] ? q->reads[i] : "");
    for (unsigned i = 0; i < q->nbackends; i++)
        if (!q->backends[i] || !one_of(q->backends[i], cat_backend_names, BK__COUNT))
            return fail(c, "query '%s': unknown backend '%s' (one of: %s)", q->name,
                        q->backends[i] ? q->backends[i] : "", cat_backends_text(B_ALL));

    if (!q->start || !one_of(q->start, START_NAMES, COUNT_OF(START_NAMES)))
        return fail(c, "query '%s': start '%s' is not launch, at or offset", q->name, q->start ? q->start : "");
    if (!strcmp(q->start, "launch") && q->start_ns != 0)
        return fail(c, "query '%s': start_ns must be 0 for start 'launch'", q->name);
    if (!strcmp(q->start, "offset") && q->start_ns <= 0)
        return fail(c, "query '%s': start_ns must be positive for start 'offset'", q->name);

    /* The When text is for people and the event list for the runtime; a
     * query has both or neither. */
    if (q->trigger && !*q->trigger)
        return fail(c, "query '%s': trigger is empty", q->name);
    if (!q->trigger && q->ntrigger_events > 0)
        return fail(c, "query '%s': trigger_events without a trigger", q->name);
    if (q->trigger && q->ntrigger_events == 0)
        return fail(c, "query '%s': trigger '%s' names no events (trigger_events is empty)", q->name, q->trigger);
    if (!q->trigger && q->nparams > 0)
        return fail(c, "query '%s': drill-down parameters without a trigger to bind them", q->name);
    for (unsigned i = 0; i < q->ntrigger_events; i++)
        if (!is_identifier(q->trigger_events[i]))
            return fail(c, "query '%s': trigger event '%s' is not an identifier", q->name,
                        q->trigger_events[i] ? q->trigger_events[i] : "");

    const char *dup = NULL;
    NameIdx *cols = name_table(q->columns, q->ncolumns, sizeof *q->columns, offsetof(MColumn, name), &dup);
    if (!cols)
        return fail(c, "out of memory");
    free(cols);
    if (dup)
        return fail(c, "query '%s': column '%s' is defined twice", q->name, dup);
    return true;
}

static bool check_event_shape(const Check *c, const MEvent *e)
{
    if (!has_storage(e->starts, e->nstarts))
        return fail(c, "event '%s': starts has entries but no storage", e->name);
    if (!is_identifier(e->query))
        return fail(c, "event '%s': query '%s' is not an identifier", e->name, e->query ? e->query : "");
    if (!e->predicate || !*e->predicate)
        return fail(c, "event '%s': predicate is missing", e->name);
    for (unsigned i = 0; i < e->nstarts; i++)
        if (!is_identifier(e->starts[i]))
            return fail(c, "event '%s': started query '%s' is not an identifier", e->name,
                        e->starts[i] ? e->starts[i] : "");
    return true;
}

/* Each event of a query's trigger exists. (An event that appears in a
 * When only under '~' cannot start the query, so `starts` need not list it;
 * the other direction, starts -> trigger_events, is checked below.) */
static bool check_trigger_refs(const Program *p, const MQuery *q)
{
    const Manifest *m = p->m;
    const Check *c = p->c;
    for (unsigned i = 0; i < q->ntrigger_events; i++) {
        long ei = lookup(p->events, m->nevents, q->trigger_events[i]);
        if (ei < 0)
            return fail(c, "query '%s': trigger event '%s' is not defined", q->name, q->trigger_events[i]);
    }
    return true;
}

/* Needs every event's query resolved (check_event_refs). */
static bool check_params(const Program *p, const MQuery *q)
{
    const Manifest *m = p->m;
    const Check *c = p->c;
    for (unsigned i = 0; i < q->nparams; i++) {
        const MParam *par = &q->params[i];
        if (!is_identifier(par->event) || !is_identifier(par->column))
            return fail(c, "query '%s': parameter %u: event and column must be identifiers", q->name, i + 1);
        long ei = lookup(p->events, m->nevents, par->event);
        if (ei < 0)
            return fail(c, "query '%s': parameter '%s.%s': event '%s' is not defined", q->name, par->event,
                        par->column, par->event);
        /* The value comes from the row that fired the event, so only an
         * event of this query's trigger can supply it, or the instance
         * that fired one (up the chain), which then carries it. */
        bool source = contains(q->trigger_events, q->ntrigger_events, par->event);
        for (unsigned k = 0; k < q->ntrigger_events && !source; k++) {
            long tk = lookup(p->events, m->nevents, q->trigger_events[k]);
            long wq = tk < 0 ? -1 : lookup(p->queries, m->nqueries, m->events[tk].query);
            for (unsigned j = 0; wq >= 0 && j < m->queries[wq].nparams && !source; j++)
                source = !strcmp(m->queries[wq].params[j].event, par->event) &&
                         !strcmp(m->queries[wq].params[j].column, par->column);
        }
        if (!source)
            return fail(c,
                        "query '%s': parameter '%s.%s': event '%s' is not in the trigger, nor carried by a query "
                        "of it",
                        q->name, par->event, par->column, par->event);
        const MEvent *e = &m->events[ei];
        const MQuery *watched = &m->queries[lookup(p->queries, m->nqueries, e->query)];
        const MColumn *col = find_column(watched, par->column);
        if (!col)
            return fail(c, "query '%s': parameter '%s.%s': '%s' is not a column of query '%s'", q->name,
                        par->event, par->column, par->column, watched->name);
        if (!par->type || !is_row_type(par->type))
            return fail(c, "query '%s': parameter '%s.%s': unknown type '%s'", q->name, par->event, par->column,
                        par->type ? par->type : "");
        if (strcmp(par->type, col->type))
            return fail(c, "query '%s': parameter '%s.%s': type %s differs from the column's type %s", q->name,
                        par->event, par->column, par->type, col->type);
    }
    return true;
}

static bool check_event_refs(const Program *p, const MEvent *e)
{
    const Manifest *m = p->m;
    const Check *c = p->c;
    if (lookup(p->queries, m->nqueries, e->query) < 0)
        return fail(c, "event '%s': query '%s' is not defined", e->name, e->query);
    for (unsigned i = 0; i < e->nstarts; i++) {
        long qi = lookup(p->queries, m->nqueries, e->starts[i]);
        if (qi < 0)
            return fail(c, "event '%s': started query '%s' is not defined", e->name, e->starts[i]);
        const MQuery *q = &m->queries[qi];
        if (!contains(q->trigger_events, q->ntrigger_events, e->name))
            return fail(c, "event '%s': starts query '%s', whose trigger does not use it", e->name, q->name);
    }
    return true;
}

/* A query must not start itself through events (query -> its events ->
 * the queries they start -> ...): the runtime would start instances without
 * end. equeryc rejects such programs; a bundle is checked again because it
 * may not come from equeryc. Depth-first search with an explicit stack, so
 * a long chain cannot overflow the C stack. */
static bool check_acyclic(const Program *p)
{
    enum { WHITE, GREY, BLACK };
    const Manifest *m = p->m;
    unsigned n = m->nqueries;
    bool ok = false;
    size_t nedges = 0;
    for (unsigned i = 0; i < m->nevents; i++)
        nedges += m->events[i].nstarts;

    /* Edges query -> query in compressed rows: first[q]..first[q+1]. */
    size_t *first = calloc((size_t)n + 1, sizeof *first);
    unsigned *to = malloc((nedges + 1) * sizeof *to);
    unsigned char *colour = calloc((size_t)n + 1, 1);
    unsigned *stack = malloc(((size_t)n + 1) * sizeof *stack);
    size_t *next = malloc(((size_t)n + 1) * sizeof *next); /* next edge to follow, per query */
    if (!first || !to || !colour || !stack || !next) {
        fail(p->c, "out of memory");
        goto done;
    }
    for (unsigned i = 0; i < m->nevents; i++) {
        const MEvent *e = &m->events[i];
        first[lookup(p->queries, n, e->query) + 1] += e->nstarts;
    }
    for (unsigned q = 0; q < n; q++)
        first[q + 1] += first[q];
    for (unsigned q = 0; q < n; q++)
        next[q] = first[q];
    for (unsigned i = 0; i < m->nevents; i++) {
        const MEvent *e = &m->events[i];
        long from = lookup(p->queries, n, e->query);
        for (unsigned j = 0; j < e->nstarts; j++)
            to[next[from]++] = (unsigned)lookup(p->queries, n, e->starts[j]);
    }

    for (unsigned root = 0; root < n; root++) {
        if (colour[root] != WHITE)
            continue;
        unsigned depth = 0;
        stack[depth++] = root;
        colour[root] = GREY;
        next[root] = first[root];
        while (depth > 0) {
            unsigned q = stack[depth - 1];
            if (next[q] == first[q + 1]) {
                colour[q] = BLACK;
                depth--;
                continue;
            }
            unsigned r = to[next[q]++];
            if (colour[r] == GREY) {
                fail(p->c, "query '%s' starts itself through its trigger events (a trigger cycle)",
                     m->queries[r].name);
                goto done;
            }
            if (colour[r] == WHITE) {
                colour[r] = GREY;
                next[r] = first[r];
                stack[depth++] = r;
            }
        }
    }
    ok = true;
done:
    free(first);
    free(to);
    free(colour);
    free(stack);
    free(next);
    return ok;
}

/* Everything but the version, which the caller checks first. */
static bool validate(const Manifest *m, const Check *c)
{
    bool ok = false;
    const char *dup = NULL;
    Program p = {.m = m, .c = c};

    if (!check_header(c, m) || !check_names(c, m))
        goto done;
    p.queries = name_table(m->queries, m->nqueries, sizeof *m->queries, offsetof(MQuery, name), &dup);
    if (!p.queries) {
        fail(c, "out of memory");
        goto done;
    }
    if (dup) {
        fail(c, "query '%s' is defined twice", dup);
        goto done;
    }
    p.events = name_table(m->events, m->nevents, sizeof *m->events, offsetof(MEvent, name), &dup);
    if (!p.events) {
        fail(c, "out of memory");
        goto done;
    }
    if (dup) {
        fail(c, "event '%s' is defined twice", dup);
        goto done;
    }
    /* Each record on its own first, then the references between them, so
     * that a message names the first thing that is actually wrong. */
    for (unsigned i = 0; i < m->nqueries; i++)
        if (!check_query_shape(c, &m->queries[i]))
            goto done;
    for (unsigned i = 0; i < m->nevents; i++)
        if (!check_event_shape(c, &m->events[i]))
            goto done;
    for (unsigned i = 0; i < m->nqueries; i++)
        if (!check_trigger_refs(&p, &m->queries[i]))
            goto done;
    for (unsigned i = 0; i < m->nevents; i++)
        if (!check_event_refs(&p, &m->events[i]))
            goto done;
    if (!check_acyclic(&p))
        goto done;
    for (unsigned i = 0; i < m->nqueries; i++)
        if (!check_params(&p, &m->queries[i]))
            goto done;
    ok = true;
done:
    free(p.queries);
    free(p.events);
    return ok;
}

/* ---- the API --------------------------------------------------------------- */

bool manifest_save(const char *path, const Manifest *m, char *err, size_t errlen)
{
    Check c = {.path = path, .err = err, .errlen = errlen};
    LogText log;
    cyaml_config_t cfg = make_config(&log, CYAML_CFG_DEFAULT);

    if (m->version != MANIFEST_VERSION)
        return fail(&c, "version %u is not MANIFEST_VERSION (%d)", m->version, MANIFEST_VERSION);
    if (!validate(m, &c))
        return false;
    errno = 0;
    cyaml_err_t e = cyaml_save_file(path, &cfg, &manifest_schema, m, 0);
    if (e != CYAML_OK) {
        report_cyaml(err, errlen, path, e, &log, errno);
        return false;
    }
    return true;
}

Manifest *manifest_load(const char *path, char *err, size_t errlen)
{
    Check c = {.path = path, .err = err, .errlen = errlen};
    LogText log;
    Manifest *m = NULL;
    VersionProbe *probe = NULL;
    cyaml_data_t *data = NULL; /* libcyaml's out-parameter, typed below */
    bool ok = false;
    /* equeryc never writes anchors, and an alias lets a small hostile file
     * expand into a very large manifest in memory: refuse them. */
    cyaml_config_t probe_cfg = make_config(&log, CYAML_CFG_IGNORE_UNKNOWN_KEYS | CYAML_CFG_NO_ALIAS);
    cyaml_config_t cfg = make_config(&log, CYAML_CFG_DEFAULT | CYAML_CFG_NO_ALIAS);

    errno = 0;
    cyaml_err_t e = cyaml_load_file(path, &probe_cfg, &probe_schema, &data, NULL);
    probe = data;
    if (e != CYAML_OK) {
        report_cyaml(err, errlen, path, e, &log, errno);
        goto done;
    }
    /* libcyaml reads a file with no document as success and no data. */
    if (!probe) {
        fail(&c, "empty file, not a manifest");
        goto done;
    }
    if (probe->version != MANIFEST_VERSION) {
        fail(&c, "made by another equeryc version: rebuild the bundle (manifest version %u, this equery reads %d)",
             probe->version, MANIFEST_VERSION);
        goto done;
    }

    log_reset(&log);
    errno = 0;
    data = NULL;
    e = cyaml_load_file(path, &cfg, &manifest_schema, &data, NULL);
    m = data;
    if (e != CYAML_OK) {
        report_cyaml(err, errlen, path, e, &log, errno);
        goto done;
    }
    /* The file may have changed between the two reads: check again. */
    if (!m) {
        fail(&c, "empty file, not a manifest");
        goto done;
    }
    if (m->version != MANIFEST_VERSION) {
        fail(&c, "made by another equeryc version: rebuild the bundle");
        goto done;
    }
    ok = validate(m, &c);
done:
    cyaml_free(&probe_cfg, &probe_schema, probe, 0);
    if (!ok) {
        manifest_free(m);
        m = NULL;
    }
    return m;
}

void manifest_free(Manifest *m)
{
    if (!m)
        return;
    /* Nothing is logged when freeing, so no collector is needed. */
    const cyaml_config_t cfg = {.mem_fn = cyaml_mem, .log_level = CYAML_LOG_ERROR, .flags = CYAML_CFG_DEFAULT};
    cyaml_free(&cfg, &manifest_schema, m, 0);
}
