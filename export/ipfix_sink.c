/* ipfix_sink.c - the IPFIX exporter (RFC 7011), a sink of the run's output:
 * the rows of each closed window of every aggregate query become data
 * records, sent over UDP to a collector (--ipfix HOST:PORT) or written to
 * an IPFIX file (--ipfix-file FILE, RFC 5655: the messages one after the
 * other). A query's record has the window's start and end and its columns
 * (ipfix_map.c); a value that is absent is left out of the record, so a
 * query has a template per set of present values and address families,
 * made when first needed and sent before its first record. Templates are
 * sent again every --ipfix-template-refresh seconds of export time and, over
 * UDP, every --ipfix-template-refresh-messages messages. The export time
 * is the end of the window (a capture's own time: a replay exports the
 * same bytes every time). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <inttypes.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "export.h"
#include "ipfix_map.h"
#include "eq_layout.h" /* eq_icmp_request(): which ICMP types pair */
#include "ipfix_msg.h"

/* What a column is in a record. */
enum {
    SIG_ABSENT,
    SIG_PRESENT, /* (an IPv4 address) */
    SIG_V6,      /* an IPv6 address */
    SIG_ICMP4,   /* sport of an ICMP row: icmpTypeCodeIPv4 with dport (which is SIG_ABSENT) */
    SIG_ICMP6,
};

/* One template of a query: which columns are present, which addresses v6. */
typedef struct {
    uint8_t *sig;   /* per column: SIG_* */
    uint8_t *tmpl;  /* the template record */
    size_t tlen;
    uint16_t id;
} Variant;

typedef struct {
    Variant v[IPFIX_TEMPLATES_PER_QUERY];
    unsigned n;
} QueryTemplates;

typedef struct {
    const Manifest *m;
    IpfixQueryMap *maps;
    QueryTemplates *tq;
    uint8_t *sig;        /* scratch: the current row's signature */
    IpfixMsg msg;
    int fd;              /* UDP */
    FILE *f;             /* file */
    char *target;        /* for messages */
    const char *tool;    /* their first word: equery-run, equery-server */
    bool udp, quiet;
    uint32_t refresh_s, refresh_msgs;
    uint32_t tmpl_time;  /* export time templates were last sent */
    uint64_t tmpl_msgs;  /* messages sent when templates were last sent */
    uint64_t send_failed, send_failed_records;
    int send_errno;
    uint64_t rows_left_out; /* rows of a query beyond its template ids */
    bool types_sent;     /* the RFC 5610 type records of the enterprise elements */
    uint64_t rows, type_records; /* data records: rows, and type records (files) */
    bool write_failed;
    int write_errno;
} IpfixSink;

/* ---- the transport -------------------------------------------------------- */

static void emit(void *ctx, const uint8_t *msg, size_t len)
{
    IpfixSink *s = ctx;
    if (s->udp) {
        if (send(s->fd, msg, len, 0) != (ssize_t)len) {
            s->send_failed++;
            /* the data records of this message: its sequence number tells */
            s->send_failed_records += s->msg.msg_records;
            s->send_errno = errno;
        }
    } else if (fwrite(msg, 1, len, s->f) != len && !s->write_failed) {
        s->write_failed = true;
        s->write_errno = errno;
    }
}

bool ipfix_parse_target(const char *arg, char *host, size_t hostlen, char *port, size_t portlen, char *err,
                        size_t errlen)
{
    const char *colon, *h = arg;
    size_t hl;
    if (arg[0] == '[') {
        const char *close = strchr(arg, ']');
        if (!close || close[1] != ':') {
            snprintf(err, errlen, "--ipfix '%s': an IPv6 address is written [ADDRESS]:PORT", arg);
            return false;
        }
        h = arg + 1;
        hl = (size_t)(close - h);
        colon = close + 1;
    } else {
        colon = strrchr(arg, ':');
        if (!colon) {
            snprintf(err, errlen, "--ipfix '%s': needs HOST:PORT (the collector's UDP port, e.g. 127.0.0.1:4739)",
                     arg);
            return false;
        }
        hl = (size_t)(colon - arg);
    }
    if (hl == 0 || hl >= hostlen) {
        snprintf(err, errlen, "--ipfix '%s': no host before the port", arg);
        return false;
    }
    memcpy(host, h, hl);
    host[hl] = '\0';
    if (!arg[0] || (arg[0] != '[' && strchr(host, ':'))) {
        snprintf(err, errlen, "--ipfix '%s': an IPv6 address is written [ADDRESS]:PORT", arg);
        return false;
    }
    const char *p = colon + 1;
    char *end;
    errno = 0;
    unsigned long v = strtoul(p, &end, 10);
    if (!*p || *end || *p == '-' || *p == '+' || errno || v < 1 || v > 65535 || strlen(p) >= portlen) {
        snprintf(err, errlen, "--ipfix '%s': the port must be a number from 1 to 65535, not '%s'", arg, p);
        return false;
    }
    snprintf(port, portlen, "%lu", v);
    return true;
}

static bool open_udp(IpfixSink *s, const char *arg, char *err, size_t errlen, int *status)
{
    char host[256], port[8];
    *status = 2;
    if (!ipfix_parse_target(arg, host, sizeof host, port, sizeof port, err, errlen))
        return false;
    struct addrinfo hints = {.ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICSERV}, *ai = NULL;
    int rc = getaddrinfo(host, port, &hints, &ai);
    if (rc != 0) {
        snprintf(err, errlen, "--ipfix '%s': cannot resolve '%s': %s", arg, host, gai_strerror(rc));
        return false;
    }
    *status = 3;
    s->fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s->fd < 0 || connect(s->fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        snprintf(err, errlen, "--ipfix '%s': cannot open a UDP socket to it: %s", arg, strerror(errno));
        freeaddrinfo(ai);
        return false;
    }
    freeaddrinfo(ai);
    return true;
}

/* ---- templates and records ------------------------------------------------ */

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put_be(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static size_t make_template(const IpfixQueryMap *qm, const uint8_t *sig, uint16_t id, uint8_t *out)
{
    size_t n = 4;
    uint16_t count = 0;
    for (unsigned i = 0; i < qm->nfields; i++) {
        const IpfixField *f = &qm->fields[i];
        uint8_t st = f->column < 0 ? SIG_PRESENT : sig[f->column];
        if (st == SIG_ABSENT)
            continue;
        bool v6 = st == SIG_V6;
        uint16_t eid = v6 && f->std6 ? f->std6->id : f->id;
        uint16_t len = v6 ? 16 : f->len;
        if (st == SIG_ICMP4 || st == SIG_ICMP6) {
            const IpfixElement *e = st == SIG_ICMP4 ? qm->icmp4 : qm->icmp6;
            eid = e->id;
            len = e->len;
        }
        put16(out + n, (uint16_t)(eid | (f->pen ? 0x8000 : 0)));
        put16(out + n + 2, len);
        n += 4;
        if (f->pen) {
            put_be(out + n, f->pen, 4);
            n += 4;
        }
        count++;
    }
    put16(out, id);
    put16(out + 2, count);
    return n;
}

static size_t encode_value(const IpfixField *f, const EqValue *v, uint8_t *p)
{
    switch (f->type) {
    case IPFIX_T_IPV4:
    case IPFIX_T_IPV6:
        if (v->ip.v6) {
            memcpy(p, v->ip.b, 16);
            return 16;
        }
        memcpy(p, v->ip.b, 4);
        return 4;
    case IPFIX_T_MAC: memcpy(p, v->mac, 6); return 6;
    case IPFIX_T_F64: {
        uint64_t bits;
        memcpy(&bits, &v->r, 8);
        put_be(p, bits, 8);
        return 8;
    }
    case IPFIX_T_BOOL: p[0] = v->u ? 1 : 2; return 1; /* RFC 7011 6.1.5 */
    case IPFIX_T_S64: put_be(p, (uint64_t)v->i, 8); return 8;
    default: put_be(p, v->u, f->len); return f->len;
    }
}

static uint64_t ms(int64_t ns) { return ns < 0 ? 0 : (uint64_t)(ns / 1000000); }

/* RFC 5610: the options template and a type record per enterprise
 * element, so that a reader knows their names and types. In files only,
 * as RFC 5655 (8.1.5) recommends: over UDP, nfcapd 1.7 counts each options
 * record of a template it does not know as a sequence failure. */
/* icmpTypeCode(IPv6) of an ICMP row: type << 8 | code. A request and its
 * reply are one group whose ports are the request's type and the
 * identifier, either way round (docs/fields.md): the request's type, code
 * 0. Any other message has its type and code in the ports. */
static uint64_t icmp_type_code(uint64_t sport, uint64_t dport, bool v6)
{
    bool reply;
    if (sport <= 0xff && eq_icmp_request((uint8_t)sport, v6, &reply) == (int)sport && !reply)
        return sport << 8;
    if (sport > 0xff && dport <= 0xff && eq_icmp_request((uint8_t)dport, v6, &reply) == (int)dport && !reply)
        return dport << 8;
    return (sport & 0xff) << 8 | (dport & 0xff);
}

static void send_types(IpfixSink *s)
{
    uint8_t rec[IPFIX_TYPE_RECORD_MAX];
    bool any = false;
    s->types_sent = true;
    if (s->udp)
        return;
    for (unsigned q = 0; q < s->m->nqueries; q++)
        for (unsigned i = 0; i < s->maps[q].nfields; i++) {
            const IpfixField *f = &s->maps[q].fields[i];
            if (!s->maps[q].exported || !f->pen)
                continue;
            if (!any)
                ipfix_msg_add(&s->msg, IPFIX_SET_OPTIONS_TEMPLATE, rec, ipfix_type_template(rec));
            any = true;
            ipfix_msg_add(&s->msg, IPFIX_TYPE_TEMPLATE_ID, rec, ipfix_type_record(&s->m->queries[q], f, rec));
            s->type_records++;
        }
}

static void send_templates(IpfixSink *s)
{
    send_types(s);
    for (unsigned q = 0; q < s->m->nqueries; q++)
        for (unsigned k = 0; k < s->tq[q].n; k++)
            ipfix_msg_add(&s->msg, IPFIX_SET_TEMPLATE, s->tq[q].v[k].tmpl, s->tq[q].v[k].tlen);
    s->tmpl_time = s->msg.export_time;
    s->tmpl_msgs = s->msg.messages;
}

static bool refresh_due(const IpfixSink *s)
{
    if (s->refresh_s && s->msg.export_time - s->tmpl_time >= s->refresh_s)
        return true;
    return s->udp && s->refresh_msgs && s->msg.messages - s->tmpl_msgs >= s->refresh_msgs;
}

/* The template of a row's signature, made and sent when new; NULL when
 * the query has used all its template ids. */
static const Variant *variant_of(IpfixSink *s, unsigned q)
{
    QueryTemplates *t = &s->tq[q];
    unsigned nc = s->m->queries[q].ncolumns;
    for (unsigned k = 0; k < t->n; k++)
        if (!memcmp(t->v[k].sig, s->sig, nc))
            return &t->v[k];
    /* (the ids stop below the type records' options template, 65535) */
    if (t->n == IPFIX_TEMPLATES_PER_QUERY || q >= (IPFIX_TYPE_TEMPLATE_ID - IPFIX_TEMPLATE_BASE) / IPFIX_TEMPLATES_PER_QUERY)
        return NULL;
    Variant *v = &t->v[t->n];
    v->sig = malloc(nc + 1);
    v->tmpl = malloc(ipfix_map_template_max(&s->maps[q]));
    if (!v->sig || !v->tmpl)
        abort();
    memcpy(v->sig, s->sig, nc);
    v->id = (uint16_t)(IPFIX_TEMPLATE_BASE + q * IPFIX_TEMPLATES_PER_QUERY + t->n);
    v->tlen = make_template(&s->maps[q], v->sig, v->id, v->tmpl);
    t->n++;
    ipfix_msg_add(&s->msg, IPFIX_SET_TEMPLATE, v->tmpl, v->tlen);
    return v;
}

static void ipfix_window(void *ctx, const OutSource *src, int64_t start, int64_t end, bool partial,
                         const EqValue *const *rows, size_t n)
{
    (void)partial;
    IpfixSink *s = ctx;
    const IpfixQueryMap *qm = &s->maps[src->query];
    if (!qm->exported || n == 0)
        return;
    int64_t secs = end / 1000000000;
    ipfix_msg_time(&s->msg, secs < 0 ? 0 : secs > UINT32_MAX ? UINT32_MAX : (uint32_t)secs);
    if (!s->msg.messages && !s->msg.len)
        s->tmpl_time = s->msg.export_time;
    unsigned nc = s->m->queries[src->query].ncolumns;
    uint8_t rec[IPFIX_MSG_MAX];
    if (!s->types_sent)
        send_types(s);
    for (size_t r = 0; r < n; r++) {
        const EqValue *row = rows[r];
        for (unsigned c = 0; c < nc; c++)
            s->sig[c] = !row[c].present                                           ? SIG_ABSENT
                        : qm->fields[c + 2].type == IPFIX_T_IPV4 && row[c].ip.v6 ? SIG_V6
                                                                                  : SIG_PRESENT;
        if (qm->icmp4 && row[qm->proto_col].present && (row[qm->proto_col].u == 1 || row[qm->proto_col].u == 58) &&
            row[qm->sport_col].present && row[qm->dport_col].present) {
            s->sig[qm->sport_col] = row[qm->proto_col].u == 1 ? SIG_ICMP4 : SIG_ICMP6;
            s->sig[qm->dport_col] = SIG_ABSENT;
        }
        if (refresh_due(s))
            send_templates(s);
        const Variant *v = variant_of(s, src->query);
        if (!v) {
            s->rows_left_out++;
            continue;
        }
        size_t len = 0;
        for (unsigned i = 0; i < qm->nfields; i++) {
            const IpfixField *f = &qm->fields[i];
            if (f->column == IPFIX_COL_WINDOW_START)
                put_be(rec + len, ms(start), 8), len += 8;
            else if (f->column == IPFIX_COL_WINDOW_END)
                put_be(rec + len, ms(end), 8), len += 8;
            else if (s->sig[f->column] == SIG_ICMP4 || s->sig[f->column] == SIG_ICMP6)
                put_be(rec + len, icmp_type_code(row[qm->sport_col].u, row[qm->dport_col].u, s->sig[f->column] == SIG_ICMP6),
                       2),
                    len += 2;
            else if (s->sig[f->column] != SIG_ABSENT)
                len += encode_value(f, &row[f->column], rec + len);
        }
        ipfix_msg_add(&s->msg, v->id, rec, len);
        s->rows++;
    }
}

static void ipfix_flush(void *ctx)
{
    IpfixSink *s = ctx;
    ipfix_msg_flush(&s->msg);
    if (s->f)
        fflush(s->f);
}

static void ipfix_finish(void *ctx, const struct EngineStats *st)
{
    (void)st;
    IpfixSink *s = ctx;
    ipfix_msg_flush(&s->msg);
    if (s->quiet)
        return;
    fprintf(stderr, "%s: ipfix: %" PRIu64 " rows in %" PRIu64 " messages %s %s", s->tool, s->rows, s->msg.messages,
            s->udp ? "sent to" : "written to", s->target);
    if (s->type_records)
        fprintf(stderr, " (and %" PRIu64 " records describing enterprise elements)", s->type_records);
    fputc('\n', stderr);
}

static void free_sink(IpfixSink *s)
{
    if (s->tq)
        for (unsigned q = 0; q < s->m->nqueries; q++)
            for (unsigned k = 0; k < s->tq[q].n; k++) {
                free(s->tq[q].v[k].sig);
                free(s->tq[q].v[k].tmpl);
            }
    free(s->tq);
    free(s->sig);
    ipfix_map_free(s->maps, s->m);
    free(s->target);
    free(s);
}

static bool ipfix_close(void *ctx)
{
    IpfixSink *s = ctx;
    ipfix_msg_flush(&s->msg);
    bool ok = true;
    if (s->rows_left_out)
        fprintf(stderr, "%s: warning: %" PRIu64 " rows were left out of the IPFIX export: their queries "
                        "needed more than %d templates (sets of present values and address families), or came "
                        "after the %dth query\n",
                s->tool, s->rows_left_out, IPFIX_TEMPLATES_PER_QUERY,
                (IPFIX_TYPE_TEMPLATE_ID - IPFIX_TEMPLATE_BASE) / IPFIX_TEMPLATES_PER_QUERY);
    if (s->udp) {
        if (s->send_failed) {
            /* (a refusal comes back with the send after the lost message) */
            fprintf(stderr, "%s: error: IPFIX messages to %s failed (%s): at least %" PRIu64 " of %" PRIu64
                            " messages (%" PRIu64 " data records) were lost\n",
                    s->tool, s->target, strerror(s->send_errno), s->send_failed, s->msg.messages, s->send_failed_records);
            ok = false;
        }
        close(s->fd);
    } else {
        if (fclose(s->f) != 0 && !s->write_failed) {
            s->write_failed = true;
            s->write_errno = errno;
        }
        if (s->write_failed) {
            fprintf(stderr, "%s: error: writing the IPFIX file '%s' failed: %s\n", s->tool,
                    s->target, strerror(s->write_errno));
            ok = false;
        }
    }
    free_sink(s);
    return ok;
}

void *ipfix_sink_new(const IpfixOptions *o, const Manifest *m, FILE *notes, char *err, size_t errlen, int *status)
{
    IpfixSink *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        *status = 3;
        return NULL;
    }
    s->m = m;
    s->fd = -1;
    s->quiet = o->quiet;
    s->tool = o->tool;
    s->refresh_s = o->refresh_s;
    s->refresh_msgs = o->refresh_msgs;
    s->udp = o->udp != NULL;
    s->target = strdup(o->udp ? o->udp : o->file);
    s->maps = ipfix_map_new(m, o->pen);
    s->tq = calloc(m->nqueries + 1, sizeof *s->tq);
    unsigned maxc = 1;
    for (unsigned q = 0; q < m->nqueries; q++)
        if (m->queries[q].ncolumns > maxc)
            maxc = m->queries[q].ncolumns;
    s->sig = calloc(maxc + 1, 1);
    if (!s->target || !s->maps || !s->tq || !s->sig) {
        snprintf(err, errlen, "out of memory");
        *status = 3;
        free_sink(s);
        return NULL;
    }
    /* every query's largest template and record must fit a message */
    *status = 2;
    for (unsigned q = 0; q < m->nqueries; q++) {
        if (!s->maps[q].exported)
            continue;
        size_t need = IPFIX_HEADER_LEN + IPFIX_SET_HEADER_LEN + ipfix_map_template_max(&s->maps[q]);
        size_t rec = IPFIX_HEADER_LEN + IPFIX_SET_HEADER_LEN + ipfix_map_record_max(&s->maps[q]);
        if (rec > need)
            need = rec;
        uint8_t t[IPFIX_TYPE_RECORD_MAX];
        for (unsigned i = 0; !o->udp && i < s->maps[q].nfields; i++)
            if (s->maps[q].fields[i].pen) {
                size_t tl = IPFIX_HEADER_LEN + IPFIX_SET_HEADER_LEN +
                            ipfix_type_record(&m->queries[q], &s->maps[q].fields[i], t);
                if (tl > need)
                    need = tl;
            }
        if (need > o->mtu) {
            snprintf(err, errlen, "--ipfix-mtu %u is too small: query '%s' needs messages of at least %zu bytes "
                                  "(its template, its largest record or the description of an enterprise element, with the message and set headers)",
                     o->mtu, m->queries[q].name, need);
            free_sink(s);
            return NULL;
        }
    }
    if (o->udp) {
        if (!open_udp(s, o->udp, err, errlen, status)) {
            if (s->fd >= 0)
                close(s->fd);
            free_sink(s);
            return NULL;
        }
    } else if (!(s->f = fopen(o->file, "wb"))) {
        snprintf(err, errlen, "cannot write the IPFIX file '%s': %s", o->file, strerror(errno));
        *status = 3;
        free_sink(s);
        return NULL;
    }
    ipfix_msg_init(&s->msg, o->mtu, o->domain, emit, s);
    bool any = false;
    for (unsigned q = 0; q < m->nqueries; q++) {
        any |= s->maps[q].exported;
        if (!s->maps[q].exported)
            fprintf(notes, "%s: warning: query '%s' is a packet query (no aggregates): its rows are packets, "
                           "not flows, and are left out of the IPFIX export (--pcap-out FILE writes its packets)\n",
                    s->tool, m->queries[q].name);
    }
    if (!any)
        fprintf(notes, "%s: warning: the program has no aggregate query: the IPFIX export will be empty\n", s->tool);
    *status = 0;
    return s;
}

void ipfix_sink_set_domain(void *sink, uint32_t domain)
{
    IpfixSink *s = sink;
    s->msg.domain = domain;
}

const OutSinkOps ipfix_sink_ops = {
    .name = "ipfix",
    .window = ipfix_window,
    .flush = ipfix_flush,
    .finish = ipfix_finish,
    .close = ipfix_close,
};
