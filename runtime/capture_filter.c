/* capture_filter.c - see capture_filter.h. */
#include "capture_filter.h"

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { FILTER_SNAPLEN = 262144, MAX_LINKS = 8 };

struct CaptureFilter {
    char *expr;
    struct {
        int linktype;
        bool ok; /* compiled; else packets of this link type do not pass */
        struct bpf_program prog;
    } link[MAX_LINKS];
    unsigned n;
};

/* The DLT value libpcap compiles for, from a file's LINKTYPE value (they
 * differ for raw IP only, among the link types equery reads). */
enum { LINKTYPE_RAW = 101 };

static bool compile(const char *expr, int linktype, struct bpf_program *prog, char *err, size_t errlen)
{
    pcap_t *dead = pcap_open_dead(linktype == LINKTYPE_RAW ? DLT_RAW : linktype, FILTER_SNAPLEN);
    if (!dead) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    bool ok = pcap_compile(dead, prog, expr, 1, PCAP_NETMASK_UNKNOWN) == 0;
    if (!ok)
        snprintf(err, errlen, "bad --capture-filter '%s': %s", expr, pcap_geterr(dead));
    pcap_close(dead);
    return ok;
}

CaptureFilter *capture_filter_new(const char *expr, char *err, size_t errlen)
{
    struct bpf_program probe;
    if (!compile(expr, DLT_EN10MB, &probe, err, errlen))
        return NULL;
    pcap_freecode(&probe);
    CaptureFilter *f = calloc(1, sizeof *f);
    if (!f || !(f->expr = strdup(expr))) {
        free(f);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    return f;
}

bool capture_filter_match(CaptureFilter *f, const CapPacket *p)
{
    unsigned i = 0;
    while (i < f->n && f->link[i].linktype != p->linktype)
        i++;
    if (i == f->n) {
        if (f->n == MAX_LINKS)
            return false;
        char err[256];
        f->link[i].linktype = p->linktype;
        f->link[i].ok = compile(f->expr, p->linktype, &f->link[i].prog, err, sizeof err);
        f->n++;
    }
    if (!f->link[i].ok)
        return false;
    struct pcap_pkthdr h = {.caplen = p->caplen, .len = p->wirelen};
    return pcap_offline_filter(&f->link[i].prog, &h, p->data) != 0;
}

void capture_filter_free(CaptureFilter *f)
{
    if (!f)
        return;
    for (unsigned i = 0; i < f->n; i++)
        if (f->link[i].ok)
            pcap_freecode(&f->link[i].prog);
    free(f->expr);
    free(f);
}
