/* catalog.h - the language's fixed vocabulary, each list written once in a
 * .def file and expanded here: value types, operators, aggregates, clauses,
 * TCP flags, protocol names and the measurement-field catalogue. */
#ifndef EQUERY_CATALOG_H
#define EQUERY_CATALOG_H

#include <stdbool.h>
#include <stdint.h>

typedef enum {
#define TYPE(id, name) TY_##id,
#include "types.def"
#undef TYPE
    TY__COUNT
} Type;

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

/* Backends that can compute a field. */
enum { B_C = 1, B_DPDK = 2, B_EBPF = 4, B_KOMON = 8 };

typedef enum { ROLE_KEY, ROLE_ATTR, ROLE_FLOW, ROLE_SAMPLE } FieldRole;

typedef enum {
#define FIELD(id, name, type, role, partner, backends, desc) F_##id,
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
    const char *desc;
} FieldInfo;

extern const FieldInfo cat_fields[F__COUNT];
extern const char *const cat_type_names[TY__COUNT];
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

/* Backend bits as text, e.g. "c dpdk ebpf". */
const char *cat_backends_text(unsigned b);

bool ty_is_integer(Type t); /* INT U8..U64 */
bool ty_is_numeric(Type t); /* integer or REAL */
uint64_t ty_max(Type t);    /* largest value of an unsigned type */

#endif
