/* diag.h - diagnostics: "file:line:col: error: message", the source line,
 * carets under the whole span, notes and fix-it suggestions.
 *
 * Locations are byte offsets into the source; they become line and column
 * only when printed. Columns count characters: a valid UTF-8 sequence is
 * one column, and so is each byte that is not valid UTF-8.
 *
 * Diagnostics are buffered, each one with its notes and fix-it lines, and
 * printed by diag_flush() (also called by diag_free()) sorted by location:
 * file-level ones first, then in source order, two at the same place in
 * the order they were reported. After DIAG_MAX_ERRORS reported errors the
 * engine sets diag_stopped(), which the scanner checks so that a file of
 * garbage ends quickly, and diag_flush() ends with a "too many errors"
 * line. */
#ifndef EQUERY_DIAG_H
#define EQUERY_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum { DIAG_MAX_ERRORS = 20 };

/* A half-open byte range [lo, hi) of the source. */
typedef struct {
    uint32_t lo, hi;
} Span;

static inline Span span_join(Span a, Span b)
{
    return (Span){a.lo < b.lo ? a.lo : b.lo, a.hi > b.hi ? a.hi : b.hi};
}

typedef struct Diag Diag;

Diag *diag_new(const char *filename, const char *src, size_t len, FILE *out);
/* Prints the buffered diagnostics, sorted by location, and forgets them. */
void diag_flush(Diag *d);
/* Flushes, then frees. */
void diag_free(Diag *d);

void diag_error(Diag *d, Span at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void diag_warning(Diag *d, Span at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A note about the previous diagnostic, with its own location (shown with
 * the source line) or none (has_span false). */
void diag_note(Diag *d, bool has_span, Span at, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* A fix-it: the text that would replace the previous diagnostic's span,
 * printed under its carets. */
void diag_fixit(Diag *d, const char *replacement);

int diag_errors(const Diag *d);
int diag_warnings(const Diag *d);
bool diag_stopped(const Diag *d);
void diag_line_col(const Diag *d, uint32_t off, int *line, int *col);
const char *diag_filename(const Diag *d);

/* The length of the valid UTF-8 sequence at s (1 for ASCII, 2-4), or 0
 * when the bytes there are not valid UTF-8; `n` is the bytes available. */
int diag_utf8_len(const char *s, size_t n);

/* The closest name to `name` among `n` candidates by edit distance, or NULL
 * when none is close enough to be a plausible typo. Case-insensitive. */
const char *diag_closest(const char *name, const char *const *cands, int n);

#endif
