/* compiler.c - set-up and tear-down of one compilation. */
#include "compiler.h"

#include <string.h>

void compiler_init(Compiler *c, const char *file, const char *src, size_t len, FILE *diag_out)
{
    memset(c, 0, sizeof *c);
    c->arena = ar_new();
    c->file = file;
    c->src = src;
    c->len = len;
    c->diag = diag_new(file, src, len, diag_out);
}

void compiler_free(Compiler *c)
{
    diag_free(c->diag);
    ar_free(c->arena);
    memset(c, 0, sizeof *c);
}

const Stmt *compiler_query_stmt(const Compiler *c, const char *name)
{
    for (int i = 0; i < c->prog.stmts.n; i++) {
        const Stmt *s = c->prog.stmts.v[i];
        if (s->kind == S_QUERY && s->name && !strcmp(s->name, name))
            return s;
    }
    return NULL;
}
