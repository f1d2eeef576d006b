/* pcap_dir_sink.c - --pcap-out DIR/: the frames each packet query instance
 * matched, in a pcap file of its own (pcap_file.h), and DIR/index.csv
 * that names every file with its query, instance, start, trigger,
 * drill-down values and packets (docs/export.md, "pcap out").
 *
 * A query without When has one file, QUERY.pcap; a triggered instance's
 * file is QUERY.START-V1-V2.pcap: its start (seconds since the epoch, to
 * the millisecond) and its drill-down values, each character other than
 * letters, digits, '.', '+' and '-' made '_'. A name this run already
 * gave gets -2, -3, ... before ".pcap". A frame several instances matched
 * goes to each one's file. At most PCAPDIR_OPEN_MAX files are open at
 * once (the least recently written is closed, and reopened to append).
 * A file that cannot be written is said at once, its packets counted as
 * lost, and the run goes on; the close then fails.
 *
 * index.csv is written as the run goes: an instance's line is appended
 * (and flushed) when its file is complete, closed for good: when the
 * instance stops (Within), else at the end of the run. A run killed half
 * way leaves an index of the files that were complete, each with its final
 * counts, and no line for a file still being written. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "export.h"
#include "pcap_file.h"

enum {
    PCAPDIR_OPEN_MAX = 64, /* files open at once: well below RLIMIT_NOFILE's usual 1024 */
    PCAPDIR_STEM_MAX = 200 /* bytes of a name before its suffixes (NAME_MAX is 255) */
};

typedef struct {
    char *name;        /* in the folder */
    unsigned query, instance;
    int64_t start;     /* the instance's start; with `triggered` */
    bool triggered;
    char *trigger;     /* the When expression, or NULL */
    char *drill;       /* "e1.saddr=10.0.0.1;e1.daddr=10.0.0.2", or NULL */
    FILE *f;
    uint64_t last_use;
    uint64_t last_seq, written, lost, other_link;
    int linktype;      /* -1: no header yet */
    int err;           /* the first failure's errno, 0: none */
    bool indexed;      /* complete: its line is in index.csv */
} PcapFile;

typedef struct {
    char *dir;
    const Manifest *m;
    uint32_t snaplen;
    bool quiet;
    PcapFile *files;
    size_t nfiles, cap;
    size_t **slot;     /* [query][instance]: 1 + the index in files, 0: none */
    unsigned *nslot;
    size_t open[PCAPDIR_OPEN_MAX]; /* the indexes in files of the open ones */
    unsigned nopen;
    size_t *names;     /* a hash table of the names given: 1 + the index in files, 0: empty */
    size_t nnames;     /* its size, a power of two */
    uint64_t clock;    /* counts writes: the least recently used file is closed first */
    uint64_t no_frame;
    int first_linktype; /* of the first frame written, -1: none */
    bool oom;
    FILE *index;       /* DIR/index.csv, appended to */
    int index_err;     /* the first failure writing it, 0: none */
} PcapDir;

static char *path_of(const PcapDir *d, const char *name)
{
    char *p = NULL;
    return asprintf(&p, "%s/%s", d->dir, name) < 0 ? NULL : p;
}

/* pf was closed: off the list of open files. */
static void forget_open(PcapDir *d, PcapFile *pf)
{
    size_t i = (size_t)(pf - d->files);
    pf->f = NULL;
    for (unsigned k = 0; k < d->nopen; k++)
        if (d->open[k] == i) {
            d->open[k] = d->open[--d->nopen];
            return;
        }
}

/* The first failure of a file is said at once; its later packets are lost. */
static void file_failed(PcapDir *d, PcapFile *pf, int err)
{
    if (pf->err)
        return;
    pf->err = err ? err : EIO;
    fprintf(stderr, "equery-run: error: pcap-out: cannot write '%s/%s': %s (its packets are counted as lost)\n",
            d->dir, pf->name, strerror(pf->err));
    if (pf->f) {
        fclose(pf->f);
        forget_open(d, pf);
    }
}

static void close_file(PcapDir *d, PcapFile *pf)
{
    if (!pf->f)
        return;
    int rc = fclose(pf->f);
    forget_open(d, pf);
    if (rc != 0)
        file_failed(d, pf, errno);
}

/* Opens pf (creating it the first time, else appending), closing the least
 * recently used file when PCAPDIR_OPEN_MAX are open; false when it failed. */
static bool open_file(PcapDir *d, PcapFile *pf)
{
    if (pf->f)
        return true;
    if (d->nopen >= PCAPDIR_OPEN_MAX) {
        PcapFile *lru = NULL;
        for (unsigned k = 0; k < d->nopen; k++)
            if (!lru || d->files[d->open[k]].last_use < lru->last_use)
                lru = &d->files[d->open[k]];
        if (lru)
            close_file(d, lru);
    }
    char *path = path_of(d, pf->name);
    if (!path) {
        file_failed(d, pf, ENOMEM);
        return false;
    }
    pf->f = fopen(path, pf->linktype < 0 ? "wb" : "ab");
    int err = errno;
    free(path);
    if (!pf->f) {
        file_failed(d, pf, err);
        return false;
    }
    d->open[d->nopen++] = (size_t)(pf - d->files);
    return true;
}

/* Letters, digits, '.', '+' and '-' are kept, the rest made '_'. */
static void sanitize(char *s)
{
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '.' ||
              *s == '+' || *s == '-'))
            *s = '_';
}

static size_t name_hash(const char *s)
{
    size_t h = 14695981039346656037u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

/* The slot of `name` in the table: its own, or the empty one it would take. */
static size_t *name_slot(const PcapDir *d, const char *name)
{
    size_t i = name_hash(name) & (d->nnames - 1);
    while (d->names[i] && strcmp(d->files[d->names[i] - 1].name, name) != 0)
        i = (i + 1) & (d->nnames - 1);
    return &d->names[i];
}

static bool name_taken(const PcapDir *d, const char *name)
{
    return d->nnames && *name_slot(d, name);
}

/* Enters files[index]'s name, the table kept at most half full; false
 * when memory is short. */
static bool name_add(PcapDir *d, size_t index)
{
    if (2 * (d->nfiles + 1) > d->nnames) {
        size_t n = d->nnames ? 2 * d->nnames : 64, *old = d->names, oldn = d->nnames;
        if (!(d->names = calloc(n, sizeof *d->names))) {
            d->names = old;
            return false;
        }
        d->nnames = n;
        for (size_t i = 0; i < oldn; i++)
            if (old[i])
                *name_slot(d, d->files[old[i] - 1].name) = old[i];
        free(old);
    }
    *name_slot(d, d->files[index].name) = index + 1;
    return true;
}

/* A name no file of this run has: STEM.pcap, else STEM-2.pcap, ... */
static char *unique_name(const PcapDir *d, char *stem)
{
    if (strlen(stem) > PCAPDIR_STEM_MAX)
        stem[PCAPDIR_STEM_MAX] = '\0';
    sanitize(stem);
    char *name = NULL;
    for (unsigned k = 1;; k++) {
        free(name);
        if ((k == 1 ? asprintf(&name, "%s.pcap", stem) : asprintf(&name, "%s-%u.pcap", stem, k)) < 0)
            return NULL;
        if (!name_taken(d, name))
            return name;
    }
}

/* A file for instance `instance` of query q; NULL when memory is short. */
static PcapFile *add_file(PcapDir *d, unsigned q, unsigned instance, char *stem)
{
    if (instance >= d->nslot[q]) {
        unsigned n = instance + 16;
        size_t *s = realloc(d->slot[q], n * sizeof *s);
        if (!s)
            return NULL;
        memset(s + d->nslot[q], 0, (n - d->nslot[q]) * sizeof *s);
        d->slot[q] = s, d->nslot[q] = n;
    }
    if (d->nfiles == d->cap) {
        size_t n = d->cap ? 2 * d->cap : 16;
        PcapFile *f = realloc(d->files, n * sizeof *f);
        if (!f)
            return NULL;
        d->files = f, d->cap = n;
    }
    PcapFile *pf = &d->files[d->nfiles];
    *pf = (PcapFile){.query = q, .instance = instance, .linktype = -1};
    if (!(pf->name = unique_name(d, stem)) || !name_add(d, d->nfiles)) {
        free(pf->name);
        return NULL;
    }
    d->slot[q][instance] = ++d->nfiles;
    return pf;
}

static PcapFile *file_of(PcapDir *d, const OutSource *src)
{
    if (src->query >= d->m->nqueries || src->instance >= d->nslot[src->query] ||
        !d->slot[src->query][src->instance])
        return NULL;
    return &d->files[d->slot[src->query][src->instance] - 1];
}

/* A triggered instance of a packet query starts: its file is named. */
static void pcapdir_start(void *ctx, const OutSource *src, int64_t t, const char *trigger, const EqValue *params,
                          const char *note)
{
    PcapDir *d = ctx;
    const MQuery *q = &d->m->queries[src->query];
    if (note || q->aggregate)
        return;
    char *stem = NULL, *drill = NULL;
    size_t stemlen = 0, drilllen = 0;
    FILE *s = open_memstream(&stem, &stemlen), *r = open_memstream(&drill, &drilllen);
    if (s && r) {
        int64_t sec = t / 1000000000, ms = (t % 1000000000) / 1000000;
        fprintf(s, "%s.%" PRId64 ".%03" PRId64, q->name, sec, ms);
        for (unsigned i = 0; i < mq_shown_params(q); i++) {
            char buf[OUT_VALUE_MAX];
            out_value(buf, sizeof buf, &params[i], out_type(q->params[i].type), false);
            fprintf(s, "-%s", buf);
            fprintf(r, "%s%s.%s=%s", i ? ";" : "", q->params[i].event, q->params[i].column, buf);
        }
    }
    bool made = s && r;
    if (s)
        made &= fclose(s) == 0;
    if (r)
        made &= fclose(r) == 0;
    PcapFile *pf = made ? add_file(d, src->query, src->instance, stem) : NULL;
    if (pf) {
        pf->triggered = true;
        pf->start = t;
        pf->drill = drill, drill = NULL;
        if (!(pf->trigger = strdup(trigger ? trigger : "")))
            d->oom = true;
    } else
        d->oom = true;
    free(stem);
    free(drill);
}

/* A CSV field (values.c), then a comma or, last, the line's end. */
static void csv_field(FILE *f, const char *s, bool last)
{
    out_csv_field(f, s);
    fputc(last ? '\n' : ',', f);
}

static const char INDEX_HEADER[] = "file,query,instance,start,trigger,drilldown,packets,lost,error\n";

/* pf's line of index.csv, flushed: a process killed after this call
 * leaves it whole. */
static void index_line(PcapDir *d, const PcapFile *pf)
{
    FILE *f = d->index;
    char start[OUT_VALUE_MAX] = "", num[32];
    if (pf->triggered)
        out_time(start, sizeof start, pf->start);
    csv_field(f, pf->name, false);
    csv_field(f, d->m->queries[pf->query].name, false);
    snprintf(num, sizeof num, "%u", pf->instance);
    csv_field(f, num, false);
    csv_field(f, start, false);
    csv_field(f, pf->trigger ? pf->trigger : "", false);
    csv_field(f, pf->drill ? pf->drill : "", false);
    snprintf(num, sizeof num, "%" PRIu64, pf->written);
    csv_field(f, num, false);
    snprintf(num, sizeof num, "%" PRIu64, pf->lost);
    csv_field(f, num, false);
    csv_field(f, pf->err ? strerror(pf->err) : "", true);
    if ((fflush(f) != 0 || ferror(f)) && !d->index_err)
        d->index_err = errno ? errno : EIO;
}

/* pf is complete: closed for good (an instance that matched nothing gets
 * an empty pcap, of the link type of the run's first frame so far,
 * Ethernet when none), then listed in index.csv. */
static void complete_file(PcapDir *d, PcapFile *pf)
{
    if (pf->indexed)
        return;
    if (pf->linktype < 0 && !pf->err && open_file(d, pf)) {
        int lt = d->first_linktype < 0 ? PCAP_LINKTYPE_ETHERNET : d->first_linktype;
        if (!pcap_file_header(pf->f, d->snaplen, lt))
            file_failed(d, pf, errno);
        pf->linktype = lt;
    }
    close_file(d, pf);
    index_line(d, pf);
    pf->indexed = true;
}

/* A triggered instance stopped: its file is complete. */
static void pcapdir_stop(void *ctx, const OutSource *src, int64_t t)
{
    (void)t;
    PcapDir *d = ctx;
    PcapFile *pf = file_of(d, src);
    if (pf)
        complete_file(d, pf);
}

static void pcapdir_packet_row(void *ctx, const OutSource *src, int64_t ts, const EqValue *row, const OutFrame *fr)
{
    (void)ts, (void)row;
    PcapDir *d = ctx;
    PcapFile *pf = file_of(d, src);
    if (!fr) {
        d->no_frame++;
        return;
    }
    if (!pf) {
        /* an instance without a start record: the query's name (and its
         * instance number after the first) */
        char *stem = NULL;
        const char *qn = d->m->queries[src->query].name;
        if ((src->instance == 1 ? asprintf(&stem, "%s", qn) : asprintf(&stem, "%s.%u", qn, src->instance)) < 0)
            stem = NULL;
        pf = stem ? add_file(d, src->query, src->instance, stem) : NULL;
        free(stem);
        if (!pf) {
            d->oom = true;
            return;
        }
    }
    if (fr->seq == pf->last_seq)
        return;
    pf->last_seq = fr->seq;
    if (pf->err || !open_file(d, pf)) {
        pf->lost++;
        return;
    }
    pf->last_use = ++d->clock;
    if (pf->linktype < 0) {
        if (!pcap_file_header(pf->f, d->snaplen, fr->linktype))
            file_failed(d, pf, errno);
        pf->linktype = fr->linktype;
        if (d->first_linktype < 0)
            d->first_linktype = fr->linktype;
    }
    if (fr->linktype != pf->linktype) {
        pf->other_link++;
        return;
    }
    if (pf->err || !pcap_file_frame(pf->f, fr)) {
        file_failed(d, pf, errno);
        pf->lost++;
        return;
    }
    pf->written++;
}

static void pcapdir_flush(void *ctx)
{
    PcapDir *d = ctx;
    /* (backwards: a file that fails leaves the list, the last one taking its place) */
    for (unsigned k = d->nopen; k-- > 0;) {
        PcapFile *pf = &d->files[d->open[k]];
        if (fflush(pf->f) != 0)
            file_failed(d, pf, errno);
    }
}

static uint64_t total(const PcapDir *d, size_t field_offset)
{
    uint64_t n = 0;
    for (size_t i = 0; i < d->nfiles; i++)
        n += *(const uint64_t *)((const char *)&d->files[i] + field_offset);
    return n;
}

static void pcapdir_finish(void *ctx, const struct EngineStats *st)
{
    (void)st;
    PcapDir *d = ctx;
    if (!d->quiet)
        fprintf(stderr, "equery-run: pcap-out: %" PRIu64 " packets written to %zu files in %s (listed in %s/index.csv)\n",
                total(d, offsetof(PcapFile, written)), d->nfiles, d->dir, d->dir);
}

static bool pcapdir_close(void *ctx)
{
    PcapDir *d = ctx;
    /* the files still open to their instances: complete now */
    for (size_t i = 0; i < d->nfiles; i++)
        complete_file(d, &d->files[i]);
    if (fclose(d->index) != 0 && !d->index_err)
        d->index_err = errno;
    bool ok = !d->index_err;
    if (!ok)
        fprintf(stderr, "equery-run: error: pcap-out: cannot write '%s/index.csv': %s\n", d->dir,
                strerror(d->index_err));
    uint64_t other = total(d, offsetof(PcapFile, other_link)), lost = total(d, offsetof(PcapFile, lost));
    size_t bad = 0;
    for (size_t i = 0; i < d->nfiles; i++)
        bad += d->files[i].err != 0;
    if (other)
        fprintf(stderr, "equery-run: warning: pcap-out: %" PRIu64 " matched packets of another link type than their "
                        "file's were not written (one link type a file)\n",
                other);
    if (d->no_frame)
        fprintf(stderr, "equery-run: warning: %" PRIu64 " packet rows had no frame to write to %s (KOMon samples)\n",
                d->no_frame, d->dir);
    if (bad) {
        fprintf(stderr, "equery-run: error: pcap-out: %zu of %zu files in %s could not be written, %" PRIu64
                        " packets lost (see the error column of %s/index.csv)\n",
                bad, d->nfiles, d->dir, lost, d->dir);
        ok = false;
    }
    if (d->oom) {
        fprintf(stderr, "equery-run: error: pcap-out: memory ran short: instances or packets are missing from %s\n",
                d->dir);
        ok = false;
    }
    for (size_t i = 0; i < d->nfiles; i++) {
        free(d->files[i].name);
        free(d->files[i].trigger);
        free(d->files[i].drill);
    }
    for (unsigned q = 0; q < d->m->nqueries; q++)
        free(d->slot[q]);
    free(d->slot);
    free(d->nslot);
    free(d->files);
    free(d->names);
    free(d->dir);
    free(d);
    return ok;
}

void *pcap_dir_sink_new(const char *dir, uint32_t snaplen, const Manifest *m, bool quiet, char *err, size_t errlen)
{
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "--pcap-out: cannot create the folder '%s': %s", dir, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "--pcap-out: '%s' ends in '/' but is not a folder", dir);
        return NULL;
    }
    PcapDir *d = calloc(1, sizeof *d);
    if (!d || !(d->dir = strdup(dir)) || !(d->slot = calloc(m->nqueries + 1, sizeof *d->slot)) ||
        !(d->nslot = calloc(m->nqueries + 1, sizeof *d->nslot))) {
        if (d) {
            free(d->dir);
            free(d->slot);
        }
        free(d);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    size_t n = strlen(d->dir);
    while (n > 1 && d->dir[n - 1] == '/')
        d->dir[--n] = '\0';
    d->m = m;
    d->snaplen = snaplen;
    d->quiet = quiet;
    d->first_linktype = -1;
    char *index = path_of(d, "index.csv");
    d->index = index ? fopen(index, "w") : NULL;
    if (!d->index || fputs(INDEX_HEADER, d->index) == EOF || fflush(d->index) != 0) {
        snprintf(err, errlen, "--pcap-out: cannot write '%s': %s", index ? index : "index.csv",
                 index ? strerror(errno) : "out of memory");
        if (d->index)
            fclose(d->index);
        free(index);
        free(d->slot);
        free(d->nslot);
        free(d->dir);
        free(d);
        return NULL;
    }
    free(index);
    /* a packet query without When: one instance, one file, from the start */
    for (unsigned q = 0; q < m->nqueries; q++) {
        if (m->queries[q].aggregate || m->queries[q].trigger)
            continue;
        char *stem = strdup(m->queries[q].name);
        if (!stem || !add_file(d, q, 1, stem))
            d->oom = true;
        free(stem);
    }
    return d;
}

const OutSinkOps pcap_dir_sink_ops = {
    .name = "pcap-dir",
    .packet_row = pcapdir_packet_row,
    .start = pcapdir_start,
    .stop = pcapdir_stop,
    .flush = pcapdir_flush,
    .finish = pcapdir_finish,
    .close = pcapdir_close,
};
