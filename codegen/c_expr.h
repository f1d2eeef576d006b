/* c_expr.h - the expressions, conditions and partial-state updates of a
 * query as C, written once for both backends that emit C: the portable C
 * backend (c_gen.c: program.c, compiled for user space) and the eBPF
 * backend (ebpf_gen.c: program.bpf.c, compiled with clang -target bpf).
 *
 * What differs between the two is a dialect (CDialect): how integer types
 * are spelled, how a constant is written, how a MAC address and an
 * extracted address are held, where a packet's time comes from, and how a
 * set of numbers is tested (the kernel cannot loop over a table). Each
 * backend keeps only what really differs: how fields are extracted from a
 * packet, and the functions, maps and tables around the code written here.
 *
 * The generated code reads the packet fields a query needs as f_NAME (the
 * value) and h_NAME (whether the packet has it), a group's key as k->NAME
 * and its partial states as s->sN; conditions follow SQL's NULL rule (a
 * test of an absent value is false, and so is its negation: the IR has
 * negation at the leaves). */
#ifndef EQUERY_C_EXPR_H
#define EQUERY_C_EXPR_H

#include <stdbool.h>
#include <stdio.h>

#include "compiler.h"
#include "ir.h"

typedef struct {
    const char *ctype[CREP_MAC + 1]; /* the C type of each CRep (types.def); an address is EqAddr */
    const char *u64_lit, *s64_lit;   /* printf formats of a uint64_t and an int64_t literal */
    const char *s64_min;             /* INT64_MIN, which no literal with a minus sign can be */
    bool mac_word;    /* a MAC address is held as its key word (eq_mac_word), else as 6 bytes */
    bool addr_ptr;    /* f_NAME of an address is a pointer to it, else an EqAddr */
    bool set_switch;  /* a set of numbers is a switch (no loops), else a sorted table when large */
    const char *ts;   /* the packet's time */
} CDialect;

extern const CDialect ce_user;   /* program.c: user space (eq_rt.h) */
extern const CDialect ce_kernel; /* program.bpf.c: the kernel program (eq_kern.h) */

/* C representation class of a value. */
typedef enum { K_NUM, K_SIGNED, K_REAL, K_IP, K_MAC } Kind;
Kind ce_kind(Type t);

/* What is being written: one query (or one event's predicate) at a time. */
typedef struct {
    const CDialect *d;
    const Compiler *c;
    const IrProgram *p;
    const IrQuery *q;
    const char *qn;  /* prefix of the C names of its constants (a query's or an event's name) */
    FILE *o;         /* the function being written */
    FILE *decl;      /* constants and set tests, written before the functions */
    int nconst;
    int *slot;       /* state i is stored in C state s<slot[i]> (ce_state_slots) */
    char *body_, *decls_;
    size_t body_len_, decls_len_;
} CExpr;

/* Starts a query (or, with q the watched query, an event named qn):
 * o and decl write into memory until ce_end. */
void ce_begin(CExpr *ce, const IrQuery *q, const char *qn);
/* Writes the constants, then the functions, to out, and frees them. */
void ce_end(CExpr *ce, FILE *out);

/* The C state member each IR state of `q` is stored in: state i lives in
 * s<slot[i]> (forward and reverse variants of one state share a slot, an
 * array indexed by direction). `slot` has q->nstates entries. */
void ce_state_slots(const IrQuery *q, int *slot);
bool ce_owns_slot(const CExpr *ce, int i);
/* A state kept per direction ([0] forward, [1] reverse of the group). */
bool ce_directional(const IrQuery *q, const IrState *s);
/* The C type of a state's value, as program.h declares it. */
const char *ce_state_ctype(const IrState *s);

/* The presence of a value ("1" when it always has one), the value (an
 * address as a pointer), a condition. */
void ce_has(CExpr *ce, const IrExpr *e);
void ce_val(CExpr *ce, const IrExpr *e);
void ce_cond(CExpr *ce, const IrExpr *e);

/* Marks the fields expression e reads. */
void ce_collect_fields(const IrExpr *e, bool *used);
/* Fills a key with the packet's fields (its s/d pairs swapped for the
 * other direction's view): `open` is what precedes the initializers
 * ("q_x_key k = {", "*k = (q_x_key){"). An absent field is 0 and its bit
 * clear in `has`. */
void ce_fill_key(CExpr *ce, const char *open, bool swapped);
/* The updates of the group's partial states s for the packet, in
 * direction d. */
void ce_state_updates(CExpr *ce);

/* The statement at `span` as a C comment, "*\/" defused. */
void ce_source_comment(const Compiler *c, FILE *o, Span span);
/* "    /\* LABEL: <the IR of e> *\/". */
void ce_ir_comment(CExpr *ce, const char *label, const IrExpr *e);

#endif
