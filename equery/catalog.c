/* catalog.c - the tables of catalog.h, expanded from the .def lists. */
#include "catalog.h"

#include <stdio.h>
#include <strings.h>

const FieldInfo cat_fields[F__COUNT] = {
#define FIELD(id, name, type, role, partner, backends, has, desc) \
    [F_##id] = {name, type, ROLE_##role, F_##partner, backends, #has, desc},
#include "fields.def"
#undef FIELD
};

#define TYPE(id, name, c) ROWTYPE(id, name, c, -)
const char *const cat_type_names[TY__COUNT] = {
#define ROWTYPE(id, name, c, row) [TY_##id] = name,
#include "types.def"
#undef ROWTYPE
};

const CRep cat_type_creps[TY__COUNT] = {
#define ROWTYPE(id, name, c, row) [TY_##id] = CREP_##c,
#include "types.def"
#undef ROWTYPE
};
#undef TYPE

const bool cat_type_is_row[TY__COUNT] = {
#define TYPE(id, name, c)
#define ROWTYPE(id, name, c, row) [TY_##id] = true,
#include "types.def"
#undef TYPE
#undef ROWTYPE
};

const char *const cat_backend_names[BK__COUNT] = {
#define BACKEND(id, name) [BK_##id] = name,
#include "backends.def"
#undef BACKEND
};

const char *const cat_op_spellings[OP__COUNT] = {
#define OP(id, spelling, irname) [OP_##id] = spelling,
#include "ops.def"
#undef OP
};

const char *const cat_op_irnames[OP__COUNT] = {
#define OP(id, spelling, irname) [OP_##id] = irname,
#include "ops.def"
#undef OP
};

const char *const cat_agg_names[AGG__COUNT] = {
#define AGG(id, name) [AGG_##id] = name,
#include "aggs.def"
#undef AGG
};

const char *const cat_clause_names[CL__COUNT] = {
#define CLAUSE(id, kw) [CL_##id] = kw,
#include "clauses.def"
#undef CLAUSE
};

const char *const cat_role_names[4] = {"key", "attr", "flow", "sample"};

static const struct {
    const char *name;
    int value;
} flags[] = {
#define TCPFLAG(name, bit) {#name, bit},
#include "flags.def"
#undef TCPFLAG
}, protos[] = {
#define PROTONAME(name, num) {#name, num},
#include "protos.def"
#undef PROTONAME
};

enum { NFLAGS = sizeof flags / sizeof flags[0], NPROTOS = sizeof protos / sizeof protos[0] };

int cat_field(const char *name)
{
    for (int i = 0; i < F__COUNT; i++)
        if (!strcasecmp(cat_fields[i].name, name))
            return i;
    return -1;
}

int cat_agg(const char *name)
{
    for (int i = 0; i < AGG__COUNT; i++)
        if (!strcasecmp(cat_agg_names[i], name))
            return i;
    return -1;
}

int cat_flag(const char *name)
{
    for (int i = 0; i < NFLAGS; i++)
        if (!strcasecmp(flags[i].name, name))
            return flags[i].value;
    return -1;
}

int cat_proto(const char *name)
{
    for (int i = 0; i < NPROTOS; i++)
        if (!strcasecmp(protos[i].name, name))
            return protos[i].value;
    return -1;
}

const char *cat_flag_name(int bit)
{
    for (int i = 0; i < NFLAGS; i++)
        if (flags[i].value == bit)
            return flags[i].name;
    return 0;
}

const char *cat_proto_name(int num)
{
    for (int i = 0; i < NPROTOS; i++)
        if (protos[i].value == num)
            return protos[i].name;
    return 0;
}

int cat_field_names(const char **out)
{
    for (int i = 0; i < F__COUNT; i++)
        out[i] = cat_fields[i].name;
    return F__COUNT;
}

int cat_builtin_names(const char **out, int max)
{
    int n = 0;
    for (int i = 0; i < F__COUNT && n < max; i++)
        out[n++] = cat_fields[i].name;
    for (int i = 0; i < AGG__COUNT && n < max; i++)
        out[n++] = cat_agg_names[i];
    for (int i = 0; i < NFLAGS && n < max; i++)
        out[n++] = flags[i].name;
    for (int i = 0; i < NPROTOS && n < max; i++)
        out[n++] = protos[i].name;
    return n;
}

const char *cat_backends_text(unsigned b)
{
    /* every combination, written out once on first use */
    enum { TEXT_MAX = 64 };
    static char text[B_ALL + 1][TEXT_MAX];
    static bool made;
    if (!made) {
        for (unsigned m = 0; m <= B_ALL; m++)
            for (int k = 0, n = 0; k < BK__COUNT; k++)
                if (m & (1u << k))
                    n += snprintf(text[m] + n, TEXT_MAX - (size_t)n, "%s%s", n ? " " : "", cat_backend_names[k]);
        made = true;
    }
    return text[b & B_ALL];
}

bool ty_is_integer(Type t) { return t == TY_INT || (t >= TY_U8 && t <= TY_U64); }
bool ty_is_numeric(Type t) { return ty_is_integer(t) || t == TY_REAL; }

uint64_t ty_max(Type t)
{
    switch (t) {
    case TY_U8: case TY_PROTO: case TY_FLAGS: return UINT8_MAX;
    case TY_U16: return UINT16_MAX;
    case TY_U32: return UINT32_MAX;
    default: return UINT64_MAX;
    }
}
