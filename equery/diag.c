/* diag.c - diagnostics printing; see diag.h. */
#include "diag.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

enum {
    LINE_SHOW_MAX = 160,  /* longer source lines are shown as a window ... */
    LINE_CONTEXT = 60,    /* ... starting this many characters before the span */
};

struct Diag {
    const char *file;
    const char *src;
    size_t len;
    FILE *out;
    int errors, warnings;
    bool stopped;
    bool last_shown;      /* the previous diagnostic printed a source line */
    Span last;            /* its span, for diag_fixit */
    uint32_t *lines;      /* offsets of line starts, built on first use */
    int nlines;
};

Diag *diag_new(const char *filename, const char *src, size_t len, FILE *out)
{
    Diag *d = calloc(1, sizeof *d);
    if (!d)
        abort();
    d->file = filename;
    d->src = src;
    d->len = len;
    d->out = out;
    return d;
}

void diag_free(Diag *d)
{
    if (d)
        free(d->lines);
    free(d);
}

int diag_errors(const Diag *d) { return d->errors; }
int diag_warnings(const Diag *d) { return d->warnings; }
bool diag_stopped(const Diag *d) { return d->stopped; }
const char *diag_filename(const Diag *d) { return d->file; }

static void build_lines(Diag *d)
{
    int cap = 64;
    d->lines = malloc(sizeof(uint32_t) * (size_t)cap);
    if (!d->lines)
        abort();
    d->lines[d->nlines++] = 0;
    for (size_t i = 0; i < d->len; i++) {
        if (d->src[i] != '\n')
            continue;
        if (d->nlines == cap) {
            cap *= 2;
            d->lines = realloc(d->lines, sizeof(uint32_t) * (size_t)cap);
            if (!d->lines)
                abort();
        }
        d->lines[d->nlines++] = (uint32_t)(i + 1);
    }
}

/* Index of the line holding byte `off` (binary search over line starts). */
static int line_index(Diag *d, uint32_t off)
{
    if (!d->lines)
        build_lines(d);
    int lo = 0, hi = d->nlines - 1;
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if (d->lines[mid] <= off)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

/* Columns count characters: UTF-8 continuation bytes do not advance. */
static int columns(const char *s, size_t n)
{
    int c = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            c++;
    return c;
}

void diag_line_col(const Diag *cd, uint32_t off, int *line, int *col)
{
    Diag *d = (Diag *)cd;
    if (off > d->len)
        off = (uint32_t)d->len;
    int li = line_index(d, off);
    *line = li + 1;
    *col = columns(d->src + d->lines[li], off - d->lines[li]) + 1;
}

static size_t line_end(const Diag *d, size_t start)
{
    size_t e = start;
    while (e < d->len && d->src[e] != '\n')
        e++;
    if (e > start && d->src[e - 1] == '\r')
        e--;
    return e;
}

static void put_source_char(FILE *out, unsigned char c)
{
    if (c == '\t' || c >= 0x80 || isprint(c))
        fputc(c, out);
    else
        fputc('?', out);
}

/* Prints the source line of `at` with carets under the span (and, when
 * `fixit` is given, the replacement text under the carets). */
static void show_source(Diag *d, Span at, const char *fixit)
{
    if (!d->src)
        return;
    if (at.lo > d->len)
        at.lo = (uint32_t)d->len;
    int li = line_index(d, at.lo);
    size_t ls = d->lines[li], le = line_end(d, ls);
    size_t hi = at.hi > le ? le : at.hi;
    if (hi < at.lo)
        hi = at.lo;
    /* Window over a long line. */
    size_t ws = ls, we = le;
    if (columns(d->src + ls, le - ls) > LINE_SHOW_MAX) {
        ws = at.lo > ls + LINE_CONTEXT ? at.lo - LINE_CONTEXT : ls;
        while (ws > ls && ((unsigned char)d->src[ws] & 0xC0) == 0x80)
            ws--;
        we = ws + LINE_SHOW_MAX < le ? ws + LINE_SHOW_MAX : le;
        if (hi > we)
            hi = we;
    }
    char gutter[16];
    int gw = snprintf(gutter, sizeof gutter, "%d", li + 1);
    fprintf(d->out, " %s | %s", gutter, ws > ls ? "..." : "");
    for (size_t i = ws; i < we; i++)
        put_source_char(d->out, (unsigned char)d->src[i]);
    fprintf(d->out, "%s\n", we < le ? "..." : "");
    fprintf(d->out, " %*s | %s", gw, "", ws > ls ? "   " : "");
    for (size_t i = ws; i < at.lo; i++) {
        unsigned char c = (unsigned char)d->src[i];
        if ((c & 0xC0) != 0x80)
            fputc(c == '\t' ? '\t' : ' ', d->out);
    }
    int width = columns(d->src + at.lo, hi - at.lo);
    fputc('^', d->out);
    for (int i = 1; i < width; i++)
        fputc('~', d->out);
    fputc('\n', d->out);
    if (fixit) {
        fprintf(d->out, " %*s | %s", gw, "", ws > ls ? "   " : "");
        for (size_t i = ws; i < at.lo; i++) {
            unsigned char c = (unsigned char)d->src[i];
            if ((c & 0xC0) != 0x80)
                fputc(c == '\t' ? '\t' : ' ', d->out);
        }
        fprintf(d->out, "%s\n", fixit);
    }
}

static void vreport(Diag *d, const char *kind, bool has_span, Span at, const char *fmt, va_list ap)
{
    if (has_span) {
        int line, col;
        diag_line_col(d, at.lo, &line, &col);
        fprintf(d->out, "%s:%d:%d: %s: ", d->file, line, col, kind);
    } else {
        fprintf(d->out, "%s: %s: ", d->file, kind);
    }
    vfprintf(d->out, fmt, ap);
    fputc('\n', d->out);
    if (has_span)
        show_source(d, at, NULL);
    d->last_shown = has_span;
    d->last = at;
}

void diag_error(Diag *d, Span at, const char *fmt, ...)
{
    if (d->stopped)
        return;
    va_list ap;
    va_start(ap, fmt);
    vreport(d, "error", true, at, fmt, ap);
    va_end(ap);
    if (++d->errors >= DIAG_MAX_ERRORS) {
        fprintf(d->out, "%s: error: too many errors (%d); stopping here\n", d->file, d->errors);
        d->stopped = true;
    }
}

void diag_warning(Diag *d, Span at, const char *fmt, ...)
{
    if (d->stopped)
        return;
    va_list ap;
    va_start(ap, fmt);
    vreport(d, "warning", true, at, fmt, ap);
    va_end(ap);
    d->warnings++;
}

void diag_note(Diag *d, bool has_span, Span at, const char *fmt, ...)
{
    if (d->stopped)
        return;
    va_list ap;
    va_start(ap, fmt);
    vreport(d, "note", has_span, at, fmt, ap);
    va_end(ap);
}

void diag_fixit(Diag *d, const char *replacement)
{
    if (d->stopped || !d->last_shown)
        return;
    /* Reprint nothing: the fix-it goes right under the carets already
     * printed, so it is emitted as one more gutter line. */
    int li = line_index(d, d->last.lo);
    char gutter[16];
    int gw = snprintf(gutter, sizeof gutter, "%d", li + 1);
    size_t ls = d->lines[li];
    fprintf(d->out, " %*s | ", gw, "");
    if (columns(d->src + ls, line_end(d, ls) - ls) > LINE_SHOW_MAX) {
        size_t ws = d->last.lo > ls + LINE_CONTEXT ? d->last.lo - LINE_CONTEXT : ls;
        if (ws > ls)
            fputs("   ", d->out);
        ls = ws;
    }
    for (size_t i = ls; i < d->last.lo; i++) {
        unsigned char c = (unsigned char)d->src[i];
        if ((c & 0xC0) != 0x80)
            fputc(c == '\t' ? '\t' : ' ', d->out);
    }
    fprintf(d->out, "%s\n", replacement);
}

/* Optimal string alignment distance, case-insensitive, capped. */
static int edit_distance(const char *a, const char *b)
{
    enum { MAXLEN = 64 };
    size_t n = strlen(a), m = strlen(b);
    if (n > MAXLEN || m > MAXLEN)
        return 1000;
    int d[MAXLEN + 1][MAXLEN + 1];
    for (size_t i = 0; i <= n; i++)
        d[i][0] = (int)i;
    for (size_t j = 0; j <= m; j++)
        d[0][j] = (int)j;
    for (size_t i = 1; i <= n; i++) {
        for (size_t j = 1; j <= m; j++) {
            int cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
            int v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v)
                v = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < v)
                v = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == tolower((unsigned char)b[j - 1]) && d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    }
    return d[n][m];
}

const char *diag_closest(const char *name, const char *const *cands, int n)
{
    const char *best = NULL;
    int bestd = 1000;
    size_t len = strlen(name);
    /* A typo of a short name is at most one edit; longer names allow a third. */
    int limit = len <= 3 ? 1 : (int)(len + 2) / 3;
    for (int i = 0; i < n; i++) {
        int dist = edit_distance(name, cands[i]);
        if (dist < bestd) {
            bestd = dist;
            best = cands[i];
        }
    }
    return bestd <= limit ? best : NULL;
}
