/* compiler.h - the state of one compilation, passed to every stage.
 *
 * Scanner, parser, checker and lowering all take this one struct; nothing
 * lives in globals, so the front end is reentrant (the fuzz target runs it
 * in a loop). */
#ifndef EQUERY_COMPILER_H
#define EQUERY_COMPILER_H

#include <stddef.h>
#include <stdio.h>

#include "arena.h"
#include "ast.h"
#include "diag.h"

enum {
    MAX_EXPR_DEPTH = 200, /* deeper expressions are rejected by the parser */
};

typedef struct Compiler {
    Arena *arena;
    Diag *diag;
    const char *file;
    const char *src;
    size_t len;
    Program prog;
    int depth_errors;     /* "too deeply nested" reported once per statement */
} Compiler;

/* Sets up a compilation of `src` (not copied; must outlive the compiler);
 * diagnostics go to `diag_out`. */
void compiler_init(Compiler *c, const char *file, const char *src, size_t len, FILE *diag_out);
void compiler_free(Compiler *c);
/* The statement of query `name`, or NULL. */
const Stmt *compiler_query_stmt(const Compiler *c, const char *name);

/* grammar/: parse the whole source into c->prog; false on syntax errors. */
int parse_program(Compiler *c);
/* grammar/: print the token stream, one token a line (`--emit=tokens`). */
void dump_tokens(Compiler *c, FILE *out);

#endif
