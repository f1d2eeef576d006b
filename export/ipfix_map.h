/* ipfix_map.h - which IPFIX information element each column of a query
 * goes out as (RFC 7011, 7012). Standard elements come from the catalogue
 * ipfix_elements.def, matched by the column's origin in the manifest (what
 * the column is: a Groupby key, COUNT(*), SUM(ip_len), ...); every other
 * column becomes an enterprise-specific element under a PEN. Used by the
 * IPFIX sink (equery-run --ipfix) and its checker (equeryc --check
 * --export=ipfix). docs/export.md has the table. */
#ifndef EQ_IPFIX_MAP_H
#define EQ_IPFIX_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "manifest.h"

/* The abstract data types used (RFC 7012 section 3.1). */
typedef enum {
    IPFIX_T_U8,
    IPFIX_T_U16,
    IPFIX_T_U32,
    IPFIX_T_U64,
    IPFIX_T_S64,
    IPFIX_T_F64,
    IPFIX_T_BOOL,
    IPFIX_T_MAC,
    IPFIX_T_IPV4,
    IPFIX_T_IPV6,
    IPFIX_T_MS, /* dateTimeMilliseconds */
} IpfixType;

extern const char *const ipfix_type_names[]; /* "unsigned8", ... */

typedef struct {
    const char *name;
    uint16_t id;
    IpfixType type;
    uint16_t len;
    const char *origin;
} IpfixElement;

extern const IpfixElement ipfix_elements[];
extern const size_t ipfix_nelements;

enum {
    IPFIX_PEN_DEFAULT = 32473, /* the documentation PEN of RFC 5612 */
    IPFIX_COL_WINDOW_START = -1,
    IPFIX_COL_WINDOW_END = -2,
    /* query q's templates (one per set of present values and address
     * families) have the ids BASE + q * PER_QUERY .. + PER_QUERY - 1 */
    IPFIX_TEMPLATE_BASE = 256,
    IPFIX_TEMPLATES_PER_QUERY = 64,
};

/* One field of a query's template. */
typedef struct {
    int column;                  /* the column, or IPFIX_COL_WINDOW_* */
    const IpfixElement *std;     /* the standard element (IPv4 one for an address), or NULL */
    const IpfixElement *std6;    /* an address column's IPv6 element */
    uint16_t id;                 /* the element id (enterprise: 1, 2, ... over the program's exported
                                  * queries' enterprise columns, in order) */
    uint32_t pen;                /* 0: IANA */
    IpfixType type;              /* (IPv4 for an address: IPFIX_T_IPV6 in a record that needs it) */
    uint16_t len;
    const char *why;             /* for an enterprise element: why no standard one ("" if none exists) */
} IpfixField;

typedef struct {
    bool exported;               /* aggregate queries only: packet rows are not flows */
    int proto_col, sport_col, dport_col; /* the proto, sport and dport keys' columns (-1: none):
                                          * all three, and an ICMP row carries icmpTypeCode */
    const IpfixElement *icmp4, *icmp6;
    unsigned nfields;
    IpfixField *fields;
} IpfixQueryMap;

/* RFC 5610: the information element type records that describe the
 * enterprise elements (name "query.column", type), as data records of an
 * options template with this id. */
enum { IPFIX_TYPE_TEMPLATE_ID = 65535 };
/* The options template record (set id 3); returns its length. */
size_t ipfix_type_template(uint8_t *out);
/* The type record of field f of query mq; returns its length (at most
 * IPFIX_TYPE_RECORD_MAX). */
enum { IPFIX_TYPE_RECORD_MAX = 4 + 2 + 1 + 1 + 2 + 8 + 8 + 1 + 255 + 1 + 255 };
size_t ipfix_type_record(const MQuery *mq, const IpfixField *f, uint8_t *out);

/* Maps every query of m; NULL when memory is short. */
IpfixQueryMap *ipfix_map_new(const Manifest *m, uint32_t pen);
void ipfix_map_free(IpfixQueryMap *maps, const Manifest *m);

/* The largest template record and data record of one query (every value
 * present, addresses IPv6), in octets. */
size_t ipfix_map_template_max(const IpfixQueryMap *qm);
size_t ipfix_map_record_max(const IpfixQueryMap *qm);

/* Writes the mapping of query number q for people: a line for the query
 * (file: the program's file name, for its location) and one per field. */
void ipfix_map_describe(FILE *f, const MQuery *mq, const IpfixQueryMap *qm, unsigned q, const char *file,
                        uint32_t pen);

#endif
