/* parser.y - the EQuery grammar (pure, reentrant; bison 3.8).
 *
 * %expect 0: the grammar has no conflicts. If a change introduces one, fix
 * it with precedence declarations or by restating the rule, never by
 * raising this number: an accepted conflict silently picks a parse.
 *
 * Error recovery: a statement that fails to parse is skipped up to the next
 * ';', or up to the next 'const', 'query' or 'event' (which only ever start
 * a statement), so one run reports the errors of several statements, and a
 * missing ';' costs no more than its own error. (Recovering at a clause's
 * ')' as well was tried: a missing ')' then swallowed the following
 * statements up to some later ')'.) */
%code requires {
#include "compiler.h"

/* A clause being collected: which one, and its node. */
typedef struct {
    Clause kind;
    ClauseNode node;
} ClauseTmp;

/* Locations are byte spans: a rule covers its first to its last symbol;
 * an empty rule sits at the end of what precedes it. */
#define YYLLOC_DEFAULT(Cur, Rhs, N)                      \
    do {                                                 \
        if (N) {                                         \
            (Cur).lo = YYRHSLOC(Rhs, 1).lo;              \
            (Cur).hi = YYRHSLOC(Rhs, N).hi;              \
        } else {                                         \
            (Cur).lo = (Cur).hi = YYRHSLOC(Rhs, 0).hi;   \
        }                                                \
    } while (0)
}

%code provides {
/* The scanner's state (its "extra" data), shared with the parser, which
 * reads where the last tokens end. */
typedef struct {
    Compiler *c;
    uint32_t off;      /* offset of the next byte to scan */
    uint32_t last_end; /* end of the last token returned */
    uint32_t prev_end; /* end of the token before it */
    int last_tok;      /* the last token returned (0 at the start) */
} LexState;

int lex_run(Compiler *c, int (*fn)(Compiler *c, void *scanner, void *arg), void *arg);
}

%code {
#include <string.h>
#include <strings.h>

int eqylex(EQYSTYPE *lval, Span *lloc, void *scanner);
void *eqyget_extra(void *scanner);
static void eqyerror(Span *loc, void *scanner, Compiler *c, const char *msg);

#define YYMAXDEPTH 5000

static ClauseTmp *clause_new(Compiler *c, Clause kind, Span kw, Span whole, PtrVec items);
static void query_add_clause(Compiler *c, Stmt *s, ClauseTmp *cl);
static Stmt *stmt_new(Compiler *c, StmtKind kind, const char *name, Span name_span, Span span);
static Expr *check_depth(Compiler *c, Expr *e);
static PtrVec one(Compiler *c, void *p);
}

%define api.prefix {eqy}
%define api.pure full
%define api.location.type {Span}
%define parse.error custom
%define parse.lac full
%locations
%param {void *scanner}
%parse-param {Compiler *c}
%expect 0

%union {
    Expr *expr;
    const char *str;
    PtrVec list;
    SelectItem *item;
    ClauseTmp *clause;
    Stmt *stmt;
    Clause kw;
}

%token KW_CONST "'const'" KW_QUERY "'query'" KW_EVENT "'event'"
%token KW_SELECT "'Select'" KW_WHERE "'Where'" KW_GROUPBY "'Groupby'" KW_WHEN "'When'"
%token KW_START "'Start'" KW_WITHIN "'Within'" KW_EVERY "'Every'" KW_ORDERBY "'OrderBy'" KW_LIMIT "'Limit'"
%token KW_AS "'as'" KW_IN "'in'" KW_DISTINCT "'distinct'"
%token <str> T_IDENT "identifier"
%token <expr> T_LITERAL "literal"
%token T_EQ "'=='" T_NE "'~='" T_LE "'<='" T_GE "'>='" T_DOTDOT "'..'"

%type <expr> expr primary order_item
%type <list> select_items expr_list set_items order_items
%type <item> select_item
%type <clause> clause
%type <stmt> clauses
%type <kw> clause_kw

%left '|'
%left '&'
%precedence '~'
%nonassoc T_EQ T_NE '<' T_LE '>' T_GE KW_IN '='
%nonassoc T_DOTDOT
%left '+' '-'
%left '*' '/'
%precedence UNARY

%%

program
    : %empty
    | program stmt
    ;

stmt
    : KW_CONST T_IDENT '=' expr ';' {
        Stmt *s = stmt_new(c, S_CONST, $2, @2, @$);
        s->value = $4;
        pv_push(c->arena, &c->prog.stmts, s);
    }
    | KW_EVENT T_IDENT '=' expr ';' {
        Stmt *s = stmt_new(c, S_EVENT, $2, @2, @$);
        s->value = $4;
        pv_push(c->arena, &c->prog.stmts, s);
    }
    | KW_QUERY T_IDENT '=' clauses ';' {
        $4->name = $2;
        $4->name_span = @2;
        $4->span = @$;
        pv_push(c->arena, &c->prog.stmts, $4);
    }
    | error ';' { yyerrok; }
    | error     /* up to the keyword that starts the next statement */
    ;

clauses
    : clause {
        $$ = stmt_new(c, S_QUERY, NULL, @1, @1);
        query_add_clause(c, $$, $1);
    }
    | clauses clause { $$ = $1; query_add_clause(c, $$, $2); }
    ;

clause_kw
    : KW_SELECT  { $$ = CL_SELECT; }
    | KW_WHERE   { $$ = CL_WHERE; }
    | KW_GROUPBY { $$ = CL_GROUPBY; }
    | KW_WHEN    { $$ = CL_WHEN; }
    | KW_START   { $$ = CL_START; }
    | KW_WITHIN  { $$ = CL_WITHIN; }
    | KW_EVERY   { $$ = CL_EVERY; }
    | KW_LIMIT   { $$ = CL_LIMIT; }
    ;

clause
    : clause_kw '(' select_items ')' { $$ = clause_new(c, $1, @1, @$, $3); }
    | KW_ORDERBY '(' order_items ')' {
        $$ = ar_alloc(c->arena, sizeof *$$);
        $$->kind = CL_ORDERBY;
        $$->node.present = true;
        $$->node.kw = @1;
        $$->node.span = @$;
        $$->node.items = $3;
    }
    ;

/* OrderBy(col [asc|desc], ...): columns of Select; asc and desc are not
 * reserved (they mean something only here). */
order_items
    : order_item                 { $$ = one(c, $1); }
    | order_items ',' order_item { $$ = $1; pv_push(c->arena, &$$, $3); }
    ;

order_item
    : T_IDENT {
        $$ = ast_expr(c->arena, E_NAME, @1);
        $$->name = $1;
    }
    | T_IDENT T_IDENT {
        $$ = ast_expr(c->arena, E_NAME, @1);
        $$->name = $1;
        if (!strcasecmp($2, "desc"))
            $$->desc = true;
        else if (strcasecmp($2, "asc")) {
            diag_error(c->diag, @2, "unknown order '%s': write 'asc' or 'desc' after the column", $2);
            diag_fixit(c->diag, ($2[0] | 0x20) == 'a' ? "asc" : "desc");
        }
    }
    ;

select_items
    : select_item                  { $$ = one(c, $1); }
    | select_items ',' select_item { $$ = $1; pv_push(c->arena, &$$, $3); }
    ;

select_item
    : expr {
        $$ = ar_alloc(c->arena, sizeof *$$);
        $$->e = $1;
    }
    | expr KW_AS T_IDENT {
        $$ = ar_alloc(c->arena, sizeof *$$);
        $$->e = $1;
        $$->alias = $3;
        $$->alias_span = @3;
    }
    ;

expr_list
    : expr               { $$ = one(c, $1); }
    | expr_list ',' expr { $$ = $1; pv_push(c->arena, &$$, $3); }
    ;

expr
    : primary
    | expr '|' expr       { $$ = check_depth(c, ast_binary(c->arena, OP_OR, $1, $3)); }
    | expr '&' expr       { $$ = check_depth(c, ast_binary(c->arena, OP_AND, $1, $3)); }
    | '~' expr            { $$ = check_depth(c, ast_unary(c->arena, OP_NOT, @1, $2)); }
    | expr T_EQ expr      { $$ = check_depth(c, ast_binary(c->arena, OP_EQ, $1, $3)); }
    | expr T_NE expr      { $$ = check_depth(c, ast_binary(c->arena, OP_NE, $1, $3)); }
    | expr '<' expr       { $$ = check_depth(c, ast_binary(c->arena, OP_LT, $1, $3)); }
    | expr T_LE expr      { $$ = check_depth(c, ast_binary(c->arena, OP_LE, $1, $3)); }
    | expr '>' expr       { $$ = check_depth(c, ast_binary(c->arena, OP_GT, $1, $3)); }
    | expr T_GE expr      { $$ = check_depth(c, ast_binary(c->arena, OP_GE, $1, $3)); }
    | expr KW_IN expr     { $$ = check_depth(c, ast_binary(c->arena, OP_IN, $1, $3)); }
    | expr '=' expr {
        /* A common slip; parse it as '==' so checking goes on. */
        diag_error(c->diag, @2, "'=' is not a comparison; did you mean '=='?");
        diag_fixit(c->diag, "==");
        $$ = ast_binary(c->arena, OP_EQ, $1, $3);
    }
    | expr T_DOTDOT expr  { $$ = check_depth(c, ast_range(c->arena, $1, $3)); }
    | expr '+' expr       { $$ = check_depth(c, ast_binary(c->arena, OP_ADD, $1, $3)); }
    | expr '-' expr       { $$ = check_depth(c, ast_binary(c->arena, OP_SUB, $1, $3)); }
    | expr '*' expr       { $$ = check_depth(c, ast_binary(c->arena, OP_MUL, $1, $3)); }
    | expr '/' expr       { $$ = check_depth(c, ast_binary(c->arena, OP_DIV, $1, $3)); }
    | '-' expr %prec UNARY { $$ = check_depth(c, ast_unary(c->arena, OP_NEG, @1, $2)); }
    | '+' expr %prec UNARY { $$ = check_depth(c, ast_unary(c->arena, OP_POS, @1, $2)); }
    ;

primary
    : T_LITERAL
    | T_IDENT {
        $$ = ast_expr(c->arena, E_NAME, @1);
        $$->name = $1;
        $$->name_span = @1;
    }
    | T_IDENT '.' T_IDENT {
        $$ = ast_expr(c->arena, E_DOT, @$);
        $$->name = $1;
        $$->name_span = @1;
        $$->member = $3;
        $$->member_span = @3;
    }
    | T_IDENT '(' '*' ')' {
        $$ = ast_expr(c->arena, E_CALL, @$);
        $$->name = $1;
        $$->name_span = @1;
        $$->star = true;
    }
    | T_IDENT '(' expr_list ')' {
        $$ = ast_expr(c->arena, E_CALL, @$);
        $$->name = $1;
        $$->name_span = @1;
        $$->a = $3.v[0];
        $$->items = $3;
        $$->depth = $$->a->depth + 1;
        $$ = check_depth(c, $$);
    }
    | T_IDENT '(' KW_DISTINCT expr ')' {
        $$ = ast_expr(c->arena, E_CALL, @$);
        $$->name = $1;
        $$->name_span = @1;
        $$->a = $4;
        $$->distinct = true;
        $$->items = one(c, $4);
        $$->depth = $4->depth + 1;
        $$ = check_depth(c, $$);
    }
    | '(' expr ')' {
        $$ = $2;
        $$->span = @$;
    }
    | '{' set_items '}' {
        $$ = ast_expr(c->arena, E_SET, @$);
        $$->items = $2;
        for (int i = 0; i < $2.n; i++) {
            Expr *item = $2.v[i];
            if (item->depth + 1 > $$->depth)
                $$->depth = item->depth + 1;
        }
        $$ = check_depth(c, $$);
    }
    | '{' '}' {
        $$ = ast_expr(c->arena, E_SET, @$);
    }
    ;

set_items
    : expr               { $$ = one(c, $1); }
    | set_items ',' expr { $$ = $1; pv_push(c->arena, &$$, $3); }
    ;

%%

static PtrVec one(Compiler *c, void *p)
{
    PtrVec v = {0};
    pv_push(c->arena, &v, p);
    return v;
}

static Stmt *stmt_new(Compiler *c, StmtKind kind, const char *name, Span name_span, Span span)
{
    Stmt *s = ar_alloc(c->arena, sizeof *s);
    s->kind = kind;
    s->name = name;
    s->name_span = name_span;
    s->span = span;
    return s;
}

/* Every clause parses as a list of items; only Select takes AS, only Select
 * and Groupby take several items. */
static ClauseTmp *clause_new(Compiler *c, Clause kind, Span kw, Span whole, PtrVec items)
{
    ClauseTmp *t = ar_alloc(c->arena, sizeof *t);
    t->kind = kind;
    t->node.present = true;
    t->node.kw = kw;
    t->node.span = whole;
    if (kind == CL_SELECT) {
        t->node.items = items;
        return t;
    }
    for (int i = 0; i < items.n; i++) {
        SelectItem *it = items.v[i];
        if (it->alias)
            diag_error(c->diag, it->alias_span, "only Select items can be renamed with AS");
        if (i == 1 && kind != CL_GROUPBY)
            diag_error(c->diag, it->e->span, "%s takes one %s%s", cat_clause_names[kind],
                       kind == CL_WHERE || kind == CL_WHEN ? "condition" : "value",
                       kind == CL_WHERE || kind == CL_WHEN ? "; join conditions with '&' or '|'" : "");
        pv_push(c->arena, &t->node.items, it->e);
    }
    return t;
}

static void query_add_clause(Compiler *c, Stmt *s, ClauseTmp *cl)
{
    ClauseNode *slot = &s->clauses[cl->kind];
    if (slot->present) {
        diag_error(c->diag, cl->node.kw, "duplicate %s clause; a query has at most one", cat_clause_names[cl->kind]);
        diag_note(c->diag, true, slot->kw, "the first %s clause is here", cat_clause_names[cl->kind]);
        return;
    }
    *slot = cl->node;
}

static Expr *check_depth(Compiler *c, Expr *e)
{
    if (e->depth == MAX_EXPR_DEPTH + 1) {
        diag_error(c->diag, e->span,
                   "expression nested more than %d levels deep; split it up (a long chain of '|' is better "
                   "written as a set: x in {a, b, c})",
                   MAX_EXPR_DEPTH);
    }
    return e;
}

static void eqyerror(Span *loc, void *scanner, Compiler *c, const char *msg)
{
    (void)scanner;
    if (strstr(msg, "exhausted"))
        diag_error(c->diag, *loc, "input nested too deeply for the parser");
    else
        diag_error(c->diag, *loc, "%s", msg);
}

/* The name of a token kind for messages: aliases are written "'x'" or
 * "identifier" in the declarations; bison gives them back in double quotes. */
static const char *symbol_text(yysymbol_kind_t k, char *buf, size_t n)
{
    if (k == YYSYMBOL_YYEOF)
        return "end of input";
    const char *s = yysymbol_name(k);
    size_t len = strlen(s);
    if (len >= 2 && s[0] == '"' && s[len - 1] == '"') {
        snprintf(buf, n, "%.*s", (int)(len - 2), s + 1);
        return buf;
    }
    return s;
}

static bool is_keyword(yysymbol_kind_t k)
{
    switch (k) {
    case YYSYMBOL_KW_CONST: case YYSYMBOL_KW_QUERY: case YYSYMBOL_KW_EVENT: case YYSYMBOL_KW_SELECT:
    case YYSYMBOL_KW_WHERE: case YYSYMBOL_KW_GROUPBY: case YYSYMBOL_KW_WHEN: case YYSYMBOL_KW_START:
    case YYSYMBOL_KW_WITHIN: case YYSYMBOL_KW_EVERY: case YYSYMBOL_KW_AS: case YYSYMBOL_KW_IN:
    case YYSYMBOL_KW_ORDERBY: case YYSYMBOL_KW_LIMIT:
    case YYSYMBOL_KW_DISTINCT:
        return true;
    default: return false;
    }
}

static int yyreport_syntax_error(const yypcontext_t *ctx, void *scanner, Compiler *c)
{
    yysymbol_kind_t expected[YYNTOKENS];
    char names[YYNTOKENS][32];
    int n = yypcontext_expected_tokens(ctx, expected, YYNTOKENS);
    Span at = *yypcontext_location(ctx);
    yysymbol_kind_t got = yypcontext_token(ctx);
    bool semicolon = false, ident = false;
    for (int i = 0; i < n; i++) {
        semicolon |= !strcmp(yysymbol_name(expected[i]), "';'");
        ident |= expected[i] == YYSYMBOL_T_IDENT;
    }
    /* A ';' could end the statement here, and the token found starts a
     * statement (or is the end of input): the ';' is missing. Point just
     * after the statement's last token. */
    if (semicolon && (got == YYSYMBOL_KW_QUERY || got == YYSYMBOL_KW_EVENT || got == YYSYMBOL_KW_CONST ||
                      got == YYSYMBOL_YYEOF)) {
        uint32_t end = ((LexState *)eqyget_extra(scanner))->prev_end;
        diag_error(c->diag, (Span){end, end}, "expected ';' after the statement");
        return 0;
    }
    char buf[64], msg[512];
    int len;
    if (got == YYSYMBOL_T_IDENT || got == YYSYMBOL_T_LITERAL)
        len = snprintf(msg, sizeof msg, "syntax error: unexpected %s '%.*s'", symbol_text(got, buf, sizeof buf),
                       (int)(at.hi - at.lo > 40 ? 40 : at.hi - at.lo), c->src + at.lo);
    else
        len = snprintf(msg, sizeof msg, "syntax error: unexpected %s", symbol_text(got, buf, sizeof buf));
    /* Where an operand may start, name the category instead of listing
     * every token that can begin one; likewise for binary operators. */
    bool operand = false, oper = false;
    const char *listed[YYNTOKENS];
    int nl = 0;
    static const char *const operators[] = {"'|'", "'&'", "'<'", "'>'", "'='", "'+'", "'-'", "'*'", "'/'",
                                            "'=='", "'~='", "'<='", "'>='", "'..'", "'in'"};
    for (int i = 0; i < n; i++) {
        const char *name = symbol_text(expected[i], names[nl], sizeof names[nl]);
        bool is_op = false;
        for (size_t k = 0; k < sizeof operators / sizeof operators[0]; k++)
            is_op |= !strcmp(name, operators[k]);
        if (expected[i] == YYSYMBOL_T_LITERAL)
            operand = true;
        else if (is_op)
            oper = true;
        else
            listed[nl++] = name;
    }
    if (oper)
        listed[nl++] = "an operator";
    if (operand) {
        snprintf(msg + len, sizeof msg - (size_t)len, "; expected an expression");
    } else if (nl > 0) {
        len += snprintf(msg + len, sizeof msg - (size_t)len, "; expected ");
        for (int i = 0; i < nl && len < (int)sizeof msg; i++)
            len += snprintf(msg + len, sizeof msg - (size_t)len, "%s%s", i == 0 ? "" : i == nl - 1 ? " or " : ", ",
                            listed[i]);
    }
    diag_error(c->diag, at, "%s", msg);
    if (ident && is_keyword(got))
        diag_note(c->diag, false, at, "'%.*s' is a keyword and cannot be a name", (int)(at.hi - at.lo),
                  c->src + at.lo);
    return 0;
}

/* A program is UTF-8 text. A NUL byte or bytes that are not UTF-8 near
 * the start mean some other file was given: say so once, instead of
 * reporting its bytes one by one. */
enum { TEXT_CHECK_BYTES = 4096 };

static bool check_text(Compiler *c)
{
    size_t limit = c->len < TEXT_CHECK_BYTES ? c->len : TEXT_CHECK_BYTES;
    for (size_t i = 0; i < limit;) {
        int n = diag_utf8_len(c->src + i, c->len - i);
        if (n == 0 || c->src[i] == '\0') {
            int line, col;
            diag_line_col(c->diag, (uint32_t)i, &line, &col);
            diag_error(c->diag, (Span){(uint32_t)i, (uint32_t)i + 1},
                       "'%s' is not a text file (byte 0x%02x at %d:%d); EQuery programs are UTF-8 text", c->file,
                       (unsigned char)c->src[i], line, col);
            return false;
        }
        i += (size_t)n;
    }
    return true;
}

static int run_parser(Compiler *c, void *scanner, void *arg)
{
    (void)arg;
    return eqyparse(scanner, c);
}

int parse_program(Compiler *c)
{
    int before = diag_errors(c->diag);
    if (!check_text(c))
        return 0;
    int r = lex_run(c, run_parser, NULL);
    return r == 0 && diag_errors(c->diag) == before;
}

static int print_tokens(Compiler *c, void *scanner, void *arg)
{
    FILE *out = arg;
    EQYSTYPE val;
    Span loc;
    char buf[64];
    int tok;
    while ((tok = eqylex(&val, &loc, scanner)) != 0) {
        int line, col;
        diag_line_col(c->diag, loc.lo, &line, &col);
        fprintf(out, "%d:%d %s", line, col, symbol_text(YYTRANSLATE(tok), buf, sizeof buf));
        if (tok == T_IDENT)
            fprintf(out, " %s", val.str);
        else if (tok == T_LITERAL) {
            fprintf(out, " %s ", cat_type_names[val.expr->v.ty]);
            val_print(out, &val.expr->v);
        }
        fputc('\n', out);
    }
    return 0;
}

void dump_tokens(Compiler *c, FILE *out)
{
    if (!check_text(c))
        return;
    lex_run(c, print_tokens, out);
}
