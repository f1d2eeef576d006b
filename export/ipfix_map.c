/* ipfix_map.c - columns to IPFIX information elements; see ipfix_map.h. */
#include "ipfix_map.h"

#include <stdlib.h>
#include <string.h>

const IpfixElement ipfix_elements[] = {
#define ELEMENT(name, id, type, len, origin) {#name, id, type, len, origin},
#include "ipfix_elements.def"
#undef ELEMENT
};
const size_t ipfix_nelements = sizeof ipfix_elements / sizeof ipfix_elements[0];

const char *const ipfix_type_names[] = {
    [IPFIX_T_U8] = "unsigned8",     [IPFIX_T_U16] = "unsigned16",   [IPFIX_T_U32] = "unsigned32",
    [IPFIX_T_U64] = "unsigned64",   [IPFIX_T_S64] = "signed64",     [IPFIX_T_F64] = "float64",
    [IPFIX_T_BOOL] = "boolean",     [IPFIX_T_MAC] = "macAddress",   [IPFIX_T_IPV4] = "ipv4Address",
    [IPFIX_T_IPV6] = "ipv6Address", [IPFIX_T_MS] = "dateTimeMilliseconds",
};

/* The standard element for an origin, of an address family when `type`
 * is an address type (else any). */
static const IpfixElement *element_for(const char *origin, IpfixType want, bool addr)
{
    if (!origin)
        return NULL;
    /* a packet query's field is what the same key would be */
    char buf[64];
    if (!strncmp(origin, "field:", 6)) {
        snprintf(buf, sizeof buf, "key:%s", origin + 6);
        origin = buf;
    }
    for (size_t i = 0; i < ipfix_nelements; i++)
        if (!strcmp(ipfix_elements[i].origin, origin) && (!addr || ipfix_elements[i].type == want))
            return &ipfix_elements[i];
    return NULL;
}

/* An enterprise element's type and length, from the column's type. */
static void enterprise_type(const char *coltype, IpfixType *t, uint16_t *len)
{
    static const struct {
        const char *name;
        IpfixType t;
        uint16_t len;
    } types[] = {
        {"real", IPFIX_T_F64, 8},   {"ipaddr", IPFIX_T_IPV4, 4}, {"mac", IPFIX_T_MAC, 6},
        {"proto", IPFIX_T_U8, 1},   {"flags", IPFIX_T_U16, 2},   {"duration", IPFIX_T_S64, 8},
        {"bool", IPFIX_T_BOOL, 1},  {"dir", IPFIX_T_U8, 1},
    };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (!strcmp(types[i].name, coltype)) {
            *t = types[i].t;
            *len = types[i].len;
            return;
        }
    *t = IPFIX_T_U64; /* integers, rates (bit/s), times (ns since the epoch) */
    *len = 8;
}

static bool map_query(const MQuery *q, uint32_t pen, IpfixQueryMap *qm, unsigned *next_id)
{
    qm->exported = q->aggregate;
    qm->proto_col = qm->sport_col = qm->dport_col = -1;
    for (unsigned c = 0; c < q->ncolumns; c++) {
        const char *o = q->columns[c].origin ? q->columns[c].origin : "";
        int *at = !strcmp(o, "key:proto") ? &qm->proto_col : !strcmp(o, "key:sport") ? &qm->sport_col
                : !strcmp(o, "key:dport") ? &qm->dport_col : NULL;
        if (at && *at < 0)
            *at = (int)c;
    }
    if (qm->proto_col >= 0 && qm->sport_col >= 0 && qm->dport_col >= 0) {
        qm->icmp4 = element_for("icmp:1", IPFIX_T_U16, false);
        qm->icmp6 = element_for("icmp:58", IPFIX_T_U16, false);
    }
    qm->nfields = q->ncolumns + 2;
    qm->fields = calloc(qm->nfields, sizeof *qm->fields);
    if (!qm->fields)
        return false;
    const char *window[2] = {"window:start", "window:end"};
    for (int w = 0; w < 2; w++) {
        IpfixField *f = &qm->fields[w];
        f->column = w == 0 ? IPFIX_COL_WINDOW_START : IPFIX_COL_WINDOW_END;
        f->std = element_for(window[w], IPFIX_T_MS, false);
        f->id = f->std->id;
        f->type = f->std->type;
        f->len = f->std->len;
    }
    for (unsigned c = 0; c < q->ncolumns; c++) {
        IpfixField *f = &qm->fields[c + 2];
        const MColumn *col = &q->columns[c];
        bool addr = !strcmp(col->type, "ipaddr");
        f->column = (int)c;
        const IpfixElement *e = element_for(col->origin, IPFIX_T_IPV4, addr);
        f->why = "";
        /* an element used by an earlier column is not used twice */
        for (unsigned k = 2; e && k < c + 2; k++)
            if (qm->fields[k].std == e) {
                f->why = q->columns[qm->fields[k].column].name;
                e = NULL;
            }
        if (e) {
            f->std = e;
            f->std6 = addr ? element_for(col->origin, IPFIX_T_IPV6, true) : NULL;
            f->id = e->id;
            f->type = e->type;
            f->len = e->len;
        } else {
            /* numbered in program order over the exported queries, so
             * that an id means one column (RFC 5610 records name it) */
            f->id = (uint16_t)(qm->exported && *next_id < 0x7fff ? (*next_id)++ : 0x7fff);
            f->pen = pen;
            enterprise_type(col->type, &f->type, &f->len);
        }
    }
    return true;
}

/* ---- RFC 5610 type records ------------------------------------------------ */

static void put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v >> 16);
    put16(p + 2, v & 0xffff);
}

size_t ipfix_type_template(uint8_t *out)
{
    /* the fields libfixbuf's collectors look for (fbInfoModelTypeInfoRecord) */
    static const uint16_t fields[][2] = {
        {346, 4},      /* privateEnterpriseNumber (scope) */
        {303, 2},      /* informationElementId (scope) */
        {339, 1},      /* informationElementDataType */
        {344, 1},      /* informationElementSemantics */
        {345, 2},      /* informationElementUnits */
        {342, 8},      /* informationElementRangeBegin */
        {343, 8},      /* informationElementRangeEnd */
        {341, 65535},  /* informationElementName (variable length) */
        {340, 65535},  /* informationElementDescription */
    };
    size_t n = sizeof fields / sizeof fields[0];
    put16(out, IPFIX_TYPE_TEMPLATE_ID);
    put16(out + 2, (unsigned)n);
    put16(out + 4, 2);
    for (size_t i = 0; i < n; i++) {
        put16(out + 6 + 4 * i, fields[i][0]);
        put16(out + 8 + 4 * i, fields[i][1]);
    }
    return 6 + 4 * n;
}

static size_t put_string(uint8_t *p, const char *s)
{
    size_t n = strlen(s);
    if (n > 254)
        n = 254;
    p[0] = (uint8_t)n;
    memcpy(p + 1, s, n);
    return n + 1;
}

size_t ipfix_type_record(const MQuery *mq, const IpfixField *f, uint8_t *out)
{
    /* RFC 5610 data type codes, in the order of IpfixType */
    static const uint8_t codes[] = {
        [IPFIX_T_U8] = 1,   [IPFIX_T_U16] = 2,   [IPFIX_T_U32] = 3,   [IPFIX_T_U64] = 4,
        [IPFIX_T_S64] = 8,  [IPFIX_T_F64] = 10,  [IPFIX_T_BOOL] = 11, [IPFIX_T_MAC] = 12,
        [IPFIX_T_IPV4] = 18, [IPFIX_T_IPV6] = 19, [IPFIX_T_MS] = 15,
    };
    const MColumn *col = &mq->columns[f->column];
    char name[256], desc[256];
    snprintf(name, sizeof name, "%s.%s", mq->name, col->name);
    snprintf(desc, sizeof desc, "equery: column %s (%s) of query %s", col->name, col->type, mq->name);
    size_t n = 0;
    put32(out, f->pen);
    put16(out + 4, f->id);
    out[6] = f->type == IPFIX_T_IPV4 ? 0 : codes[f->type]; /* an address: 4 or 16 octets, octetArray */
    out[7] = 0; /* semantics: default */
    put16(out + 8, 0); /* units: none */
    memset(out + 10, 0, 16); /* range: none */
    n = 26;
    n += put_string(out + n, name);
    n += put_string(out + n, desc);
    return n;
}

IpfixQueryMap *ipfix_map_new(const Manifest *m, uint32_t pen)
{
    IpfixQueryMap *maps = calloc(m->nqueries + 1, sizeof *maps);
    if (!maps)
        return NULL;
    unsigned next_id = 1;
    for (unsigned q = 0; q < m->nqueries; q++)
        if (!map_query(&m->queries[q], pen, &maps[q], &next_id)) {
            ipfix_map_free(maps, m);
            return NULL;
        }
    return maps;
}

void ipfix_map_free(IpfixQueryMap *maps, const Manifest *m)
{
    if (!maps)
        return;
    for (unsigned q = 0; q < m->nqueries; q++)
        free(maps[q].fields);
    free(maps);
}

size_t ipfix_map_template_max(const IpfixQueryMap *qm)
{
    size_t n = 4; /* template id, field count */
    for (unsigned i = 0; i < qm->nfields; i++)
        n += qm->fields[i].pen ? 8 : 4;
    return n;
}

size_t ipfix_map_record_max(const IpfixQueryMap *qm)
{
    size_t n = 0;
    for (unsigned i = 0; i < qm->nfields; i++)
        n += qm->fields[i].type == IPFIX_T_IPV4 ? 16 : qm->fields[i].len;
    return n;
}

void ipfix_map_describe(FILE *f, const MQuery *mq, const IpfixQueryMap *qm, unsigned q, const char *file,
                        uint32_t pen)
{
    fprintf(f, "%s:%u: note: query '%s' goes out as IPFIX data records, template ids %u to %u:\n", file, mq->line, mq->name,
            IPFIX_TEMPLATE_BASE + q * IPFIX_TEMPLATES_PER_QUERY,
            IPFIX_TEMPLATE_BASE + (q + 1) * IPFIX_TEMPLATES_PER_QUERY - 1);
    for (unsigned i = 0; i < qm->nfields; i++) {
        const IpfixField *fl = &qm->fields[i];
        const char *name = fl->column == IPFIX_COL_WINDOW_START ? "(window start)"
                           : fl->column == IPFIX_COL_WINDOW_END ? "(window end)"
                                                                : mq->columns[fl->column].name;
        if (fl->std6)
            fprintf(f, "  %-16s -> %s (%u) or %s (%u)\n", name, fl->std->name, fl->std->id, fl->std6->name,
                    fl->std6->id);
        else if (qm->icmp4 && (fl->column == qm->sport_col || fl->column == qm->dport_col))
            fprintf(f, "  %-16s -> %s (%u), %s; of an ICMP or ICMPv6 row: %s (%u) or %s (%u), with %s\n", name,
                    fl->std->name, fl->std->id, ipfix_type_names[fl->type], qm->icmp4->name, qm->icmp4->id,
                    qm->icmp6->name, qm->icmp6->id,
                    fl->column == qm->sport_col ? "dport (type * 256 + code)" : "sport");
        else if (fl->std)
            fprintf(f, "  %-16s -> %s (%u), %s\n", name, fl->std->name, fl->std->id, ipfix_type_names[fl->type]);
        else {
            const char *t = fl->type == IPFIX_T_IPV4 ? "ipv4Address or ipv6Address" : ipfix_type_names[fl->type];
            fprintf(f, "  %-16s -> enterprise %u element %u, %s", name, pen, fl->id, t);
            if (*fl->why)
                fprintf(f, " (the standard element went to '%s')", fl->why);
            fputc('\n', f);
        }
    }
}
