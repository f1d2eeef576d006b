/* arena.h - one allocation arena per compilation, freed in one call.
 *
 * Every AST node, IR node and interned string of a compilation lives in the
 * compiler's arena, so there is one cleanup path and no per-node frees. */
#ifndef EQUERY_ARENA_H
#define EQUERY_ARENA_H

#include <stddef.h>

typedef struct Arena Arena;

Arena *ar_new(void);
/* ar_alloc: zeroed memory aligned for any type; aborts with a message when
 * the system is out of memory (the only unrecoverable error). */
void *ar_alloc(Arena *a, size_t size);
char *ar_strndup(Arena *a, const char *s, size_t n);
char *ar_strdup(Arena *a, const char *s);
char *ar_printf(Arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ar_free(Arena *a);

/* A growable array of pointers kept in an arena. */
typedef struct {
    void **v;
    int n, cap;
} PtrVec;
void pv_push(Arena *a, PtrVec *pv, void *p);

#endif
