/* diag.c - diagnostics printing; see diag.h.
 *
 * Each diagnostic (an error or a warning, with its notes and fix-it lines)
 * is formatted into a buffer of its own as it is reported. diag_flush()
 * prints the buffered diagnostics sorted by location (stably, so that two
 * at one place keep the order they were reported in), which puts them in
 * source order whatever order the compiler's passes found them in. */
#include "diag.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

enum {
    LINE_SHOW_MAX = 160,  /* longer source lines are shown as a window ... */
    LINE_CONTEXT = 60,    /* ... starting this many columns before the span */
};

/* One buffered diagnostic. */
typedef struct {
    bool has_span;   /* false: a file-level diagnostic, printed first */
    uint32_t lo;     /* where it points */
    int seq;         /* report order, for a stable sort */
    char *text;
    size_t len;
} Unit;

struct Diag {
    const char *file;
    const char *src;
    size_t len;
    FILE *out;
    int errors, warnings;
    bool stopped;
    bool too_many_shown;  /* the "too many errors" line was printed */
    bool last_shown;      /* the previous diagnostic printed a source line */
    Span last;            /* its span, for diag_fixit */
    uint32_t *lines;      /* offsets of line starts, built on first use */
    int nlines;
    /* the diagnostic being written, and the finished ones */
    FILE *cur;
    char *cur_text;
    size_t cur_len;
    bool cur_has_span;
    uint32_t cur_lo;
    Unit *units;
    int nunits, cap;
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

/* Closes the diagnostic being written and files it. */
static void end_unit(Diag *d)
{
    if (!d->cur)
        return;
    fclose(d->cur);
    d->cur = NULL;
    if (d->nunits == d->cap) {
        d->cap = d->cap ? 2 * d->cap : 16;
        d->units = realloc(d->units, sizeof(Unit) * (size_t)d->cap);
        if (!d->units)
            abort();
    }
    d->units[d->nunits] = (Unit){d->cur_has_span, d->cur_lo, d->nunits, d->cur_text, d->cur_len};
    d->nunits++;
    d->cur_text = NULL;
    d->cur_len = 0;
}

static void begin_unit(Diag *d, bool has_span, Span at)
{
    end_unit(d);
    d->cur = open_memstream(&d->cur_text, &d->cur_len);
    if (!d->cur)
        abort();
    d->cur_has_span = has_span;
    d->cur_lo = at.lo;
}

static int unit_cmp(const void *pa, const void *pb)
{
    const Unit *a = pa, *b = pb;
    if (a->has_span != b->has_span)
        return a->has_span ? 1 : -1;
    if (a->has_span && a->lo != b->lo)
        return a->lo < b->lo ? -1 : 1;
    return (a->seq > b->seq) - (a->seq < b->seq);
}

void diag_flush(Diag *d)
{
    if (!d)
        return;
    end_unit(d);
    if (d->nunits)
        qsort(d->units, (size_t)d->nunits, sizeof(Unit), unit_cmp);
    for (int i = 0; i < d->nunits; i++) {
        fwrite(d->units[i].text, 1, d->units[i].len, d->out);
        free(d->units[i].text);
    }
    free(d->units);
    d->units = NULL;
    d->nunits = d->cap = 0;
    if (d->stopped && !d->too_many_shown) {
        fprintf(d->out, "%s: error: too many errors (%d); stopping here\n", d->file, d->errors);
        d->too_many_shown = true;
    }
    fflush(d->out);
}

void diag_free(Diag *d)
{
    if (!d)
        return;
    diag_flush(d);
    free(d->lines);
    free(d);
}

int diag_errors(const Diag *d) { return d->errors; }
int diag_warnings(const Diag *d) { return d->warnings; }
bool diag_stopped(const Diag *d) { return d->stopped; }
const char *diag_filename(const Diag *d) { return d->file; }

int diag_utf8_len(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    if (n == 0)
        return 0;
    unsigned c = u[0];
    if (c < 0x80)
        return 1;
    size_t len;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        len = 3;
    else if (c >= 0xF0 && c <= 0xF4)
        len = 4;
    else
        return 0; /* a continuation byte, an overlong lead (C0 C1) or beyond U+10FFFF */
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((u[i] & 0xC0) != 0x80)
            return 0;
    if ((c == 0xE0 && u[1] < 0xA0) || (c == 0xF0 && u[1] < 0x90)) /* overlong */
        return 0;
    if (c == 0xED && u[1] > 0x9F) /* UTF-16 surrogates */
        return 0;
    if (c == 0xF4 && u[1] > 0x8F) /* beyond U+10FFFF */
        return 0;
    return (int)len;
}

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

static size_t line_end(const Diag *d, size_t start)
{
    size_t e = start;
    while (e < d->len && d->src[e] != '\n')
        e++;
    if (e > start && d->src[e - 1] == '\r')
        e--;
    return e;
}

/* The size of the character at `i`: a valid UTF-8 sequence is one
 * character, and so is each byte that is not part of one. */
static size_t char_size(const Diag *d, size_t i)
{
    int n = diag_utf8_len(d->src + i, d->len - i);
    return n > 0 ? (size_t)n : 1;
}

/* Columns (characters) from `from` up to `to`; a character that starts
 * before `to` counts whole. */
static int columns(const Diag *d, size_t from, size_t to)
{
    int c = 0;
    for (size_t i = from; i < to; i += char_size(d, i))
        c++;
    return c;
}

/* The offset of the character `cols` columns after `from`, at most `end`. */
static size_t advance(const Diag *d, size_t from, size_t end, int cols)
{
    size_t i = from;
    for (; i < end && cols > 0; cols--)
        i += char_size(d, i);
    return i < end ? i : end;
}

void diag_line_col(const Diag *cd, uint32_t off, int *line, int *col)
{
    Diag *d = (Diag *)cd;
    if (off > d->len)
        off = (uint32_t)d->len;
    int li = line_index(d, off);
    *line = li + 1;
    *col = columns(d, d->lines[li], off) + 1;
}

/* The part of a line that is shown: all of it, or a window around the
 * span when the line is too long. */
typedef struct {
    int li;           /* line index */
    size_t ls, le;    /* the line */
    size_t ws, we;    /* the window */
} View;

static View view_of(Diag *d, uint32_t lo)
{
    View v;
    v.li = line_index(d, lo);
    v.ls = d->lines[v.li];
    v.le = line_end(d, v.ls);
    v.ws = v.ls;
    v.we = v.le;
    if (columns(d, v.ls, v.le) > LINE_SHOW_MAX) {
        int col = columns(d, v.ls, lo);
        if (col > LINE_CONTEXT)
            v.ws = advance(d, v.ls, v.le, col - LINE_CONTEXT);
        v.we = advance(d, v.ws, v.le, LINE_SHOW_MAX);
    }
    return v;
}

/* The white space that puts the next character under offset `to`: tabs
 * stay tabs, every other character is one space. */
static void pad_to(Diag *d, FILE *out, size_t from, size_t to)
{
    for (size_t i = from; i < to; i += char_size(d, i))
        fputc(d->src[i] == '\t' ? '\t' : ' ', out);
}

static void gutter_pad(FILE *out, const View *v)
{
    char gutter[16];
    int gw = snprintf(gutter, sizeof gutter, "%d", v->li + 1);
    fprintf(out, " %*s | %s", gw, "", v->ws > v->ls ? "   " : "");
}

/* Prints the characters of [from, to): control characters and bytes that
 * are not UTF-8 as '?'. */
static void put_source(Diag *d, FILE *out, size_t from, size_t to)
{
    for (size_t i = from; i < to;) {
        unsigned char c = (unsigned char)d->src[i];
        int n = diag_utf8_len(d->src + i, d->len - i);
        if (n == 1)
            fputc(c == '\t' || isprint(c) ? c : '?', out);
        else if (n == 2 && c == 0xC2 && (unsigned char)d->src[i + 1] < 0xA0)
            fputc('?', out); /* a C1 control character */
        else if (n > 1)
            fwrite(d->src + i, 1, (size_t)n, out);
        else
            fputc('?', out);
        i += n > 0 ? (size_t)n : 1;
    }
}

/* Prints the source line of `at` with carets under the span. */
static void show_source(Diag *d, FILE *out, Span at)
{
    if (!d->src)
        return;
    if (at.lo > d->len)
        at.lo = (uint32_t)d->len;
    View v = view_of(d, at.lo);
    size_t hi = at.hi > v.we ? v.we : at.hi;
    if (hi < at.lo)
        hi = at.lo;
    fprintf(out, " %d | %s", v.li + 1, v.ws > v.ls ? "..." : "");
    put_source(d, out, v.ws, v.we);
    fprintf(out, "%s\n", v.we < v.le ? "..." : "");
    gutter_pad(out, &v);
    pad_to(d, out, v.ws, at.lo);
    int width = columns(d, at.lo, hi);
    fputc('^', out);
    for (int i = 1; i < width; i++)
        fputc('~', out);
    fputc('\n', out);
}

static void vreport(Diag *d, const char *kind, bool has_span, Span at, const char *fmt, va_list ap)
{
    FILE *out = d->cur;
    if (has_span) {
        int line, col;
        diag_line_col(d, at.lo, &line, &col);
        fprintf(out, "%s:%d:%d: %s: ", d->file, line, col, kind);
    } else {
        fprintf(out, "%s: %s: ", d->file, kind);
    }
    vfprintf(out, fmt, ap);
    fputc('\n', out);
    if (has_span)
        show_source(d, out, at);
    d->last_shown = has_span;
    d->last = at;
}

void diag_error(Diag *d, Span at, const char *fmt, ...)
{
    if (d->stopped)
        return;
    begin_unit(d, true, at);
    va_list ap;
    va_start(ap, fmt);
    vreport(d, "error", true, at, fmt, ap);
    va_end(ap);
    if (++d->errors >= DIAG_MAX_ERRORS)
        d->stopped = true;
}

void diag_warning(Diag *d, Span at, const char *fmt, ...)
{
    if (d->stopped)
        return;
    begin_unit(d, true, at);
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
    if (!d->cur)
        begin_unit(d, has_span, at);
    va_list ap;
    va_start(ap, fmt);
    vreport(d, "note", has_span, at, fmt, ap);
    va_end(ap);
}

void diag_fixit(Diag *d, const char *replacement)
{
    if (d->stopped || !d->last_shown || !d->cur)
        return;
    /* The fix-it goes right under the carets already printed, as one more
     * gutter line. */
    Span at = d->last;
    if (at.lo > d->len)
        at.lo = (uint32_t)d->len;
    View v = view_of(d, at.lo);
    gutter_pad(d->cur, &v);
    pad_to(d, d->cur, v.ws, at.lo);
    fprintf(d->cur, "%s\n", replacement);
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
