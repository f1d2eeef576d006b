/* capture.c - pcap and pcapng files read directly; see capture.h.
 *
 * A regular file is mapped whole and read in place: a packet's data points
 * into the mapping, no copy and no call per packet. A stream (standard
 * input, a pipe) is read in large blocks into a buffer that grows to hold
 * the largest record. Every length is checked against what is there before
 * it is used: a corrupt or truncated file is an error with the byte offset,
 * never a read out of bounds. */
#define _GNU_SOURCE
#include "capture.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

enum {
    PCAP_HDR = 24,
    PCAP_REC = 16,
    STREAM_CHUNK = 1 << 20,     /* bytes asked of read(2) at a time */
    POPULATE_CHUNK = 8 << 20,   /* bytes of a mapped file whose pages are mapped in one call */
    NG_BLOCK_MIN = 12,          /* type, length, trailing length */
    NG_SHB = 0x0A0D0D0A,
    NG_IDB = 1,
    NG_OPB = 2,                 /* obsolete packet block */
    NG_SPB = 3,
    NG_EPB = 6,
    NG_BOM = 0x1A2B3C4D,
    NG_MAX_IFACES = 4096,
    OPT_END = 0,
    OPT_IF_TSRESOL = 9,
    OPT_IF_TSOFFSET = 14,
    DEFAULT_TSRESOL = 6,        /* pcapng's default: microseconds */
    ERR_MAX = 512,
};

#define PCAP_MAGIC_US 0xA1B2C3D4u
#define PCAP_MAGIC_NS 0xA1B23C4Du
#define PCAP_MAGIC_US_SWAPPED 0xD4C3B2A1u
#define PCAP_MAGIC_NS_SWAPPED 0x4D3CB2A1u
/* libpcap's LT_LINKTYPE(): the link type is the low bits; the high bits
 * of pcap's field say whether frames carry an FCS */
#define LINKTYPE_MASK 0x03FFFFFFu

typedef struct {
    int linktype;
    uint32_t snaplen;
    uint8_t tsresol;   /* if_tsresol: bit 7 clear: 10^-n s, set: 2^-n s */
    int64_t tsoffset;  /* if_tsoffset, seconds */
} NgIface;

struct CapReader {
    char *path;
    int fd;
    /* a mapped file, or a stream's buffer: bytes [0, len) of which the
     * first `pos` are consumed */
    const uint8_t *map;
    uint8_t *buf;
    size_t len, pos, cap;
    size_t populated;   /* a mapped file: bytes [0, populated) have their pages mapped */
    bool mapped, eof;
    bool owns_map;      /* the mapping is ours to unmap (not memory given) */
    uint64_t consumed;  /* bytes before buf[0] (a stream drops what it consumed) */
    uint64_t size;      /* the file's size, 0 for a stream */
    bool ng, swapped, nanos;
    int linktype;       /* pcap: the file's; pcapng: the first interface's */
    uint32_t snaplen;   /* pcap: the file's; pcapng: the largest of the interfaces read (0: none yet) */
    NgIface *ifaces;
    unsigned nifaces;
    int64_t last_ts;    /* pcapng simple packet blocks have no time: the previous one */
    char err[ERR_MAX];
};

static void fail(CapReader *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, sizeof r->err, fmt, ap);
    va_end(ap);
}

static uint16_t rd16(const CapReader *r, const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return r->swapped ? __builtin_bswap16(v) : v;
}

static uint32_t rd32(const CapReader *r, const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return r->swapped ? __builtin_bswap32(v) : v;
}

static const uint8_t *base(const CapReader *r) { return r->mapped ? r->map : r->buf; }

/* Makes n bytes available at pos; false at the end of the input (r->eof
 * then says whether there was nothing at all) or on a read error (r->err). */
static bool need(CapReader *r, size_t n)
{
    if (r->len - r->pos >= n)
        return true;
    if (r->mapped || r->eof || r->err[0])
        return false;
    /* a stream: drop what was consumed, grow the buffer, read more */
    if (r->pos > 0) {
        memmove(r->buf, r->buf + r->pos, r->len - r->pos);
        r->consumed += r->pos;
        r->len -= r->pos;
        r->pos = 0;
    }
    while (r->len < n) {
        if (r->cap - r->len < STREAM_CHUNK || r->cap < n) {
            size_t cap = r->cap ? r->cap * 2 : 4 * STREAM_CHUNK;
            while (cap < n || cap - r->len < STREAM_CHUNK)
                cap *= 2;
            uint8_t *b = realloc(r->buf, cap);
            if (!b) {
                fail(r, "%s: out of memory for a record of %zu bytes", r->path, n);
                return false;
            }
            r->buf = b;
            r->cap = cap;
        }
        ssize_t got = read(r->fd, r->buf + r->len, r->cap - r->len);
        if (got < 0) {
            fail(r, "%s: %s", r->path, strerror(errno)); /* EINTR too: a signal asks to stop */
            return false;
        }
        if (got == 0) {
            r->eof = true;
            return false;
        }
        r->len += (size_t)got;
    }
    return true;
}

/* Bytes left before the end of a mapped file, or read so far of a stream. */
static bool at_end(CapReader *r) { return !need(r, 1) && !r->err[0]; }

/* ns from a pcapng timestamp in units of the interface's resolution;
 * false when it is out of the range of ns since the epoch in 64 bits
 * (years 1678 to 2262): a corrupt file, not a packet to measure */
static bool ng_time(const NgIface *i, uint64_t t, int64_t *ns)
{
    unsigned __int128 units;
    if (i->tsresol & 0x80)
        units = (unsigned __int128)1 << (i->tsresol & 0x7F);
    else {
        units = 1;
        for (unsigned k = 0; k < i->tsresol; k++)
            units *= 10;
    }
    unsigned __int128 secs = t / units, frac = t % units;
    __int128 v = (__int128)(secs * 1000000000u + frac * 1000000000u / units) + (__int128)i->tsoffset * 1000000000;
    if (v > INT64_MAX || v < INT64_MIN)
        return false;
    *ns = (int64_t)v;
    return true;
}

/* ---- pcap ------------------------------------------------------------------ */

static bool pcap_header(CapReader *r, uint32_t magic)
{
    r->swapped = magic == PCAP_MAGIC_US_SWAPPED || magic == PCAP_MAGIC_NS_SWAPPED;
    r->nanos = magic == PCAP_MAGIC_NS || magic == PCAP_MAGIC_NS_SWAPPED;
    if (!need(r, PCAP_HDR)) {
        fail(r, "%s: truncated pcap file header (%zu of %d bytes)", r->path, r->len - r->pos, PCAP_HDR);
        return false;
    }
    const uint8_t *h = base(r) + r->pos;
    uint16_t major = rd16(r, h + 4);
    if (major != 2) {
        fail(r, "%s: pcap version %u.%u, not 2.x", r->path, major, rd16(r, h + 6));
        return false;
    }
    r->linktype = (int)(rd32(r, h + 20) & LINKTYPE_MASK);
    r->snaplen = rd32(r, h + 16);
    r->pos += PCAP_HDR;
    return true;
}

static int pcap_next_rec(CapReader *r, CapPacket *p)
{
    if (at_end(r))
        return 0;
    uint64_t at = r->consumed + r->pos;
    if (!need(r, PCAP_REC)) {
        if (!r->err[0])
            fail(r, "%s: truncated record header at byte %llu (the capture ends there)", r->path,
                 (unsigned long long)at);
        return -1;
    }
    const uint8_t *h = base(r) + r->pos;
    uint32_t sec = rd32(r, h), frac = rd32(r, h + 4), caplen = rd32(r, h + 8), wirelen = rd32(r, h + 12);
    if (caplen > CAP_MAX_RECORD || (r->nanos ? frac >= 1000000000u : frac >= 1000000u)) {
        fail(r, "%s: corrupt record at byte %llu (captured length %u, fraction %u)", r->path, (unsigned long long)at,
             caplen, frac);
        return -1;
    }
    if (!need(r, PCAP_REC + (size_t)caplen)) {
        if (!r->err[0])
            fail(r, "%s: truncated record at byte %llu: %u bytes captured, the file ends after %zu", r->path,
                 (unsigned long long)at, caplen, r->len - r->pos - PCAP_REC);
        return -1;
    }
    h = base(r) + r->pos;
    p->data = h + PCAP_REC;
    p->caplen = caplen;
    p->wirelen = wirelen;
    p->ts = (int64_t)sec * 1000000000 + (int64_t)frac * (r->nanos ? 1 : 1000);
    p->linktype = r->linktype;
    r->pos += PCAP_REC + caplen;
    return 1;
}

/* ---- pcapng ---------------------------------------------------------------- */

/* Reads an interface description block's options (resolution, offset). */
static void ng_iface_options(const CapReader *r, NgIface *i, const uint8_t *o, size_t n)
{
    while (n >= 4) {
        uint16_t code = rd16(r, o), len = rd16(r, o + 2);
        size_t padded = ((size_t)len + 3) & ~(size_t)3;
        if (code == OPT_END || 4 + padded > n)
            break;
        if (code == OPT_IF_TSRESOL && len >= 1)
            i->tsresol = o[4];
        else if (code == OPT_IF_TSOFFSET && len >= 8) {
            uint64_t v;
            memcpy(&v, o + 4, 8);
            i->tsoffset = (int64_t)(r->swapped ? __builtin_bswap64(v) : v);
        }
        o += 4 + padded;
        n -= 4 + padded;
    }
}

static int ng_next(CapReader *r, CapPacket *p)
{
    for (;;) {
        if (at_end(r))
            return 0;
        uint64_t at = r->consumed + r->pos;
        if (!need(r, 8)) {
            if (!r->err[0])
                fail(r, "%s: truncated block at byte %llu", r->path, (unsigned long long)at);
            return -1;
        }
        const uint8_t *b = base(r) + r->pos;
        uint32_t type = rd32(r, b);
        if (type == NG_SHB) {
            /* a new section: its own byte order and interfaces */
            if (!need(r, 12)) {
                fail(r, "%s: truncated section header at byte %llu", r->path, (unsigned long long)at);
                return -1;
            }
            b = base(r) + r->pos;
            uint32_t bom;
            memcpy(&bom, b + 8, 4);
            if (bom != NG_BOM && __builtin_bswap32(bom) != NG_BOM) {
                fail(r, "%s: corrupt section header at byte %llu (byte-order magic 0x%08x)", r->path,
                     (unsigned long long)at, bom);
                return -1;
            }
            r->swapped = bom != NG_BOM;
            r->nifaces = 0;
        }
        uint32_t total = rd32(r, b + 4);
        if (total < NG_BLOCK_MIN || total % 4 || total > CAP_MAX_RECORD + 256) {
            fail(r, "%s: corrupt block at byte %llu (length %u)", r->path, (unsigned long long)at, total);
            return -1;
        }
        if (!need(r, total)) {
            if (!r->err[0])
                fail(r, "%s: truncated block at byte %llu: %u bytes, the file ends after %zu", r->path,
                     (unsigned long long)at, total, r->len - r->pos);
            return -1;
        }
        b = base(r) + r->pos;
        r->pos += total;
        const uint8_t *body = b + 8;
        size_t blen = total - NG_BLOCK_MIN;
        if (type == NG_IDB) {
            if (blen < 8) {
                fail(r, "%s: corrupt interface block at byte %llu", r->path, (unsigned long long)at);
                return -1;
            }
            if (r->nifaces == NG_MAX_IFACES) {
                fail(r, "%s: more than %d interfaces in a section", r->path, NG_MAX_IFACES);
                return -1;
            }
            NgIface *grown = realloc(r->ifaces, (r->nifaces + 1) * sizeof *r->ifaces);
            if (!grown) {
                fail(r, "%s: out of memory", r->path);
                return -1;
            }
            r->ifaces = grown;
            NgIface *i = &r->ifaces[r->nifaces++];
            *i = (NgIface){.linktype = rd16(r, body), .snaplen = rd32(r, body + 4), .tsresol = DEFAULT_TSRESOL};
            ng_iface_options(r, i, body + 8, blen - 8);
            if ((i->tsresol & 0x80 ? i->tsresol & 0x7F : i->tsresol) > ((i->tsresol & 0x80) ? 63 : 19)) {
                fail(r, "%s: interface %u has an impossible time resolution (0x%02x)", r->path, r->nifaces - 1,
                     i->tsresol);
                return -1;
            }
            if (r->linktype < 0)
                r->linktype = i->linktype;
            if (i->snaplen > r->snaplen)
                r->snaplen = i->snaplen;
            continue;
        }
        if (type != NG_EPB && type != NG_SPB && type != NG_OPB)
            continue; /* statistics, name resolution, custom blocks: not packets */
        uint32_t iface = 0, caplen, wirelen, hdr;
        uint64_t t = 0;
        if (type == NG_EPB || type == NG_OPB) {
            /* the same layout, but the obsolete block's interface is 16
             * bits (then 16 bits of drop count) */
            hdr = 20;
            if (blen < hdr)
                goto corrupt;
            iface = type == NG_EPB ? rd32(r, body) : rd16(r, body);
            t = ((uint64_t)rd32(r, body + 4) << 32) | rd32(r, body + 8);
            caplen = rd32(r, body + 12);
            wirelen = rd32(r, body + 16);
        } else {
            hdr = 4;
            if (blen < hdr)
                goto corrupt;
            wirelen = rd32(r, body);
            caplen = (uint32_t)(blen - hdr);
            if (caplen > wirelen)
                caplen = wirelen; /* the rest is padding */
        }
        if (iface >= r->nifaces) {
            fail(r, "%s: packet block at byte %llu names interface %u, and the section describes %u", r->path,
                 (unsigned long long)at, iface, r->nifaces);
            return -1;
        }
        if (caplen > blen - hdr)
            goto corrupt;
        const NgIface *ifc = &r->ifaces[iface];
        if (type == NG_SPB && ifc->snaplen && caplen > ifc->snaplen)
            caplen = ifc->snaplen;
        p->data = body + hdr;
        p->caplen = caplen;
        p->wirelen = wirelen;
        if (type == NG_SPB)
            p->ts = r->last_ts;
        else if (!ng_time(ifc, t, &p->ts)) {
            fail(r, "%s: packet block at byte %llu has a time out of range", r->path, (unsigned long long)at);
            return -1;
        }
        p->linktype = ifc->linktype;
        r->last_ts = p->ts;
        return 1;
    corrupt:
        fail(r, "%s: corrupt packet block at byte %llu", r->path, (unsigned long long)at);
        return -1;
    }
}

/* ---- one capture ------------------------------------------------------------- */

static CapReader *new_reader(const char *path, char *err, size_t errlen)
{
    CapReader *r = calloc(1, sizeof *r);
    if (!r || !(r->path = strdup(path))) {
        snprintf(err, errlen, "out of memory");
        free(r);
        return NULL;
    }
    r->linktype = -1;
    r->fd = -1;
    return r;
}

/* The file header, once the input is set up. */
static CapReader *start(CapReader *r, char *err, size_t errlen)
{
    const char *path = r->path;
    if (!need(r, 4)) {
        if (r->err[0])
            snprintf(err, errlen, "cannot read '%s': %s", path, r->err);
        else if (r->len == r->pos)
            snprintf(err, errlen, "cannot read '%s' as a capture: the file is empty", path);
        else
            snprintf(err, errlen, "cannot read '%s' as a capture: unknown file format", path);
        goto bad;
    }
    uint32_t magic;
    memcpy(&magic, base(r) + r->pos, 4);
    bool ok;
    if (magic == NG_SHB) {
        r->ng = true;
        ok = true; /* the section header is read as the first block */
    } else if (magic == PCAP_MAGIC_US || magic == PCAP_MAGIC_NS || magic == PCAP_MAGIC_US_SWAPPED ||
               magic == PCAP_MAGIC_NS_SWAPPED) {
        ok = pcap_header(r, magic);
    } else {
        snprintf(err, errlen, "cannot read '%s' as a capture: unknown file format", path);
        goto bad;
    }
    if (!ok) {
        snprintf(err, errlen, "cannot read '%s' as a capture: %s", path, r->err);
        goto bad;
    }
    return r;
bad:
    cap_close(r);
    return NULL;
}

CapReader *cap_open(const char *path, char *err, size_t errlen)
{
    CapReader *r = new_reader(path, err, errlen);
    if (!r)
        return NULL;
    r->fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : STDIN_FILENO;
    struct stat st;
    if (r->fd < 0 || fstat(r->fd, &st) != 0) {
        snprintf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
        cap_close(r);
        return NULL;
    }
    if (S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "'%s' is a folder, not a capture file", path);
        cap_close(r);
        return NULL;
    }
    if (S_ISREG(st.st_mode) && st.st_size > 0) {
        void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, r->fd, 0);
        if (m != MAP_FAILED) {
            madvise(m, (size_t)st.st_size, MADV_SEQUENTIAL);
            r->map = m;
            r->mapped = true;
            r->owns_map = true;
            r->len = (size_t)st.st_size;
            r->size = (uint64_t)st.st_size;
        }
    }
    return start(r, err, errlen);
}

CapReader *cap_open_memory(const uint8_t *data, size_t len, const char *name, char *err, size_t errlen)
{
    CapReader *r = new_reader(name, err, errlen);
    if (!r)
        return NULL;
    r->map = data;
    r->mapped = true;
    r->len = len;
    r->size = len;
    return start(r, err, errlen);
}

/* Maps the pages of the next POPULATE_CHUNK bytes of a mapped file in one
 * call when the reader comes near them: a page fault per 4 KiB read costs
 * more than parsing the packets in it (docs/performance.md), and mapping
 * the whole file at once (MAP_POPULATE) would read all of a large one
 * before its first packet. */
static void populate_ahead(CapReader *r)
{
#ifdef MADV_POPULATE_READ
    if (!r->owns_map || r->pos + POPULATE_CHUNK / 2 < r->populated || r->populated >= r->len)
        return;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t from = r->populated / page * page, to = r->populated + POPULATE_CHUNK;
    if (to > r->len)
        to = r->len;
    /* a hint: an older kernel refuses it, and the pages then fault in */
    madvise((void *)(r->map + from), to - from, MADV_POPULATE_READ);
    r->populated = to;
#else
    (void)r;
#endif
}

int cap_next(CapReader *r, CapPacket *p)
{
    if (r->err[0])
        return -1;
    populate_ahead(r);
    return r->ng ? ng_next(r, p) : pcap_next_rec(r, p);
}

const char *cap_error(const CapReader *r) { return r->err; }
const char *cap_path(const CapReader *r) { return r->path; }
uint64_t cap_offset(const CapReader *r) { return r->consumed + r->pos; }
uint64_t cap_size(const CapReader *r) { return r->size; }

int cap_linktype(const CapReader *r) { return r->linktype; }

uint32_t cap_snaplen(const CapReader *r) { return r->snaplen; }

void cap_close(CapReader *r)
{
    if (!r)
        return;
    if (r->owns_map)
        munmap((void *)r->map, r->size);
    if (r->fd > STDIN_FILENO)
        close(r->fd);
    free(r->buf);
    free(r->ifaces);
    free(r->path);
    free(r);
}

/* ---- several, merged ----------------------------------------------------------- */

struct CapMerge {
    CapReader **r;
    CapPacket *next;    /* each capture's next packet */
    int *state;         /* 1: next holds a packet, 0: ended, 2: must read (it was just returned) */
    unsigned n;
    char err[ERR_MAX];
};

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static bool merge_add(CapMerge *m, CapReader *r)
{
    CapReader **grown = realloc(m->r, (m->n + 1) * sizeof *m->r);
    if (!grown)
        return false;
    m->r = grown;
    m->r[m->n++] = r;
    return true;
}

/* The captures in a folder, in name order; files that are not captures
 * are skipped and counted. */
static bool merge_folder(CapMerge *m, const char *dir, char *err, size_t errlen, unsigned *skipped)
{
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errlen, "cannot read the folder '%s': %s", dir, strerror(errno));
        return false;
    }
    char **names = NULL;
    size_t nn = 0;
    struct dirent *e;
    bool ok = true;
    while (ok && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char *full = NULL;
        if (asprintf(&full, "%s/%s", dir, e->d_name) < 0) {
            ok = false;
            break;
        }
        struct stat st;
        char **g = stat(full, &st) == 0 && S_ISREG(st.st_mode) ? realloc(names, (nn + 1) * sizeof *names) : NULL;
        if (g) {
            names = g;
            names[nn++] = full;
        } else
            free(full);
    }
    closedir(d);
    qsort(names, nn, sizeof *names, by_name);
    unsigned before = m->n;
    for (size_t i = 0; ok && i < nn; i++) {
        char e2[ERR_MAX];
        CapReader *r = cap_open(names[i], e2, sizeof e2);
        if (!r && strstr(e2, "unknown file format")) {
            (*skipped)++;
            continue;
        }
        if (!r) {
            snprintf(err, errlen, "%s", e2);
            ok = false;
        } else if (!merge_add(m, r)) {
            cap_close(r);
            snprintf(err, errlen, "out of memory");
            ok = false;
        }
    }
    for (size_t i = 0; i < nn; i++)
        free(names[i]);
    free(names);
    if (ok && m->n == before) {
        snprintf(err, errlen, "the folder '%s' holds no capture file", dir);
        ok = false;
    }
    return ok;
}

CapMerge *cap_merge_open(const char *const *paths, size_t n, char *err, size_t errlen, unsigned *skipped)
{
    CapMerge *m = calloc(1, sizeof *m);
    *skipped = 0;
    if (!m) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        if (strcmp(paths[i], "-") != 0 && stat(paths[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            if (!merge_folder(m, paths[i], err, errlen, skipped))
                goto bad;
            continue;
        }
        CapReader *r = cap_open(paths[i], err, errlen);
        if (!r)
            goto bad;
        if (!merge_add(m, r)) {
            cap_close(r);
            snprintf(err, errlen, "out of memory");
            goto bad;
        }
    }
    m->next = calloc(m->n, sizeof *m->next);
    m->state = calloc(m->n, sizeof *m->state);
    if (!m->next || !m->state) {
        snprintf(err, errlen, "out of memory");
        goto bad;
    }
    for (unsigned i = 0; i < m->n; i++)
        m->state[i] = 2;
    return m;
bad:
    cap_merge_close(m);
    return NULL;
}

int cap_merge_next(CapMerge *m, CapPacket *p)
{
    if (m->err[0])
        return -1;
    int best = -1;
    for (unsigned i = 0; i < m->n; i++) {
        if (m->state[i] == 2) {
            /* read only now: the packet returned last time stays valid until here */
            int rc = cap_next(m->r[i], &m->next[i]);
            if (rc < 0) {
                snprintf(m->err, sizeof m->err, "%s", cap_error(m->r[i]));
                return -1;
            }
            m->state[i] = rc;
        }
        if (m->state[i] == 1 && (best < 0 || m->next[i].ts < m->next[best].ts))
            best = (int)i;
    }
    if (best < 0)
        return 0;
    *p = m->next[best];
    m->state[best] = 2;
    return 1;
}

const char *cap_merge_error(const CapMerge *m) { return m->err; }
unsigned cap_merge_count(const CapMerge *m) { return m->n; }

uint64_t cap_merge_offset(const CapMerge *m)
{
    uint64_t s = 0;
    for (unsigned i = 0; i < m->n; i++)
        s += cap_offset(m->r[i]);
    return s;
}

uint64_t cap_merge_size(const CapMerge *m)
{
    uint64_t s = 0;
    for (unsigned i = 0; i < m->n; i++) {
        if (!cap_size(m->r[i]))
            return 0; /* a stream: no percentage */
        s += cap_size(m->r[i]);
    }
    return s;
}

int cap_merge_linktype(const CapMerge *m) { return m->n ? cap_linktype(m->r[0]) : -1; }

uint32_t cap_merge_snaplen(const CapMerge *m)
{
    uint32_t n = 0;
    for (unsigned i = 0; i < m->n; i++)
        if (cap_snaplen(m->r[i]) > n)
            n = cap_snaplen(m->r[i]);
    return n;
}

void cap_merge_close(CapMerge *m)
{
    if (!m)
        return;
    for (unsigned i = 0; i < m->n; i++)
        cap_close(m->r[i]);
    free(m->r);
    free(m->next);
    free(m->state);
    free(m);
}
