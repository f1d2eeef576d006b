/* catalog.h - the language's fixed vocabulary, each list written once in a
 * .def file and expanded here: value types, operators, aggregates, clauses,
 * TCP flags, protocol names and the measurement-field catalogue. */
#ifndef EQUERY_CATALOG_H
#define EQUERY_CATALOG_H

#include <stdbool.h>
#include <stdint.h>

typedef enum {
#define TYPE(id, name, c) TY_##id,
#define ROWTYPE(id, name, c, row) TY_##id,
#include "types.def"
#undef TYPE
#undef ROWTYPE
    TY__COUNT
} Type;

/* How generated code holds a value (types.def's `c` column). */
typedef enum { CREP_U8, CREP_U16, CREP_U32, CREP_U64, CREP_S64, CREP_F64, CREP_ADDR, CREP_MAC } CRep;

typedef enum {
#define OP(id, spelling, irname) OP_##id,
#include "ops.def"
#undef OP
    OP__COUNT
} Op;

typedef enum {
#define AGG(id, name) AGG_##id,
#include "aggs.def"
#undef AGG
    AGG__COUNT
} Agg;

typedef enum {
#define CLAUSE(id, kw) CL_##id,
#include "clauses.def"
#undef CLAUSE
    CL__COUNT
} Clause;

/* The backends (backends.def), and their bits in the capabilities of a
 * field or a query. */
typedef enum {
#define BACKEND(id, name) BK_##id,
#include "backends.def"
#undef BACKEND
    BK__COUNT
} Backend;

enum {
#define BACKEND(id, name) B_##id = 1u << BK_##id,
#include "backends.def"
#undef BACKEND
    B_ALL = (1u << BK__COUNT) - 1,
};

typedef enum { ROLE_KEY, ROLE_ATTR, ROLE_FLOW, ROLE_SAMPLE } FieldRole;

typedef enum {
#define FIELD(id, name, type, role, partner, backends, has, desc) F_##id,
#include "fields.def"
#undef FIELD
    F__COUNT,
    F_NONE = -1
} FieldId;

typedef struct {
    const char *name;
    Type type;
    FieldRole role;
    FieldId partner;
    unsigned backends;
    const char *has; /* fields.def's has: EQ_HAS_<has> bits, "ALWAYS" or "NONE" */
    const char *desc;
} FieldInfo;

extern const FieldInfo cat_fields[F__COUNT];
extern const char *const cat_type_names[TY__COUNT];
extern const CRep cat_type_creps[TY__COUNT];
extern const bool cat_type_is_row[TY__COUNT]; /* a column may have the type (a ROWTYPE) */
extern const char *const cat_backend_names[BK__COUNT];
extern const char *const cat_op_spellings[OP__COUNT];
extern const char *const cat_op_irnames[OP__COUNT];
extern const char *const cat_agg_names[AGG__COUNT];
extern const char *const cat_clause_names[CL__COUNT];
extern const char *const cat_role_names[4];

/* Lookups are case-insensitive; they return -1 when the name is unknown. */
int cat_field(const char *name);
int cat_agg(const char *name);
int cat_flag(const char *name);      /* the flag's bit */
int cat_proto(const char *name);     /* the protocol number */
const char *cat_flag_name(int bit);  /* NULL when not a single known flag */
const char *cat_proto_name(int num); /* NULL when it has no name */

/* All builtin names of a kind, for suggestions. */
int cat_field_names(const char **out);    /* F__COUNT entries */
int cat_builtin_names(const char **out, int max); /* fields, aggregates, flags, protocols */
/* An application protocol people write where an IP protocol goes
 * (proto == http): its usual port, or -1. */
int cat_app_port(const char *name);
/* What other tools (tcpdump, Wireshark, Argus) call a field: the EQuery
 * spelling (a field, or an expression such as SUM(pkt_len)) and a hint,
 * or NULL. */
const char *cat_alias(const char *name, const char **hint);

/* Backend bits as text, e.g. "c dpdk ebpf" (names in backends.def order). */
const char *cat_backends_text(unsigned b);

bool ty_is_integer(Type t); /* INT U8..U64 */
bool ty_is_numeric(Type t); /* integer or REAL */
uint64_t ty_max(Type t);    /* largest value of an unsigned type */

#endif
