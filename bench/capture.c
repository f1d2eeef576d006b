/* capture.c - see capture.h. */
#include "capture.h"

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool load_capture(const char *path, Capture *c)
{
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
    if (!p) {
        fprintf(stderr, "equery-bench: error: %s\n", errbuf);
        return false;
    }
    c->linktype = pcap_datalink(p);
    struct pcap_pkthdr *h;
    const u_char *d;
    int rc;
    while ((rc = pcap_next_ex(p, &h, &d)) == 1) {
        if (c->n == c->cap) {
            c->cap = c->cap ? 2 * c->cap : 4096;
            c->recs = realloc(c->recs, c->cap * sizeof *c->recs);
        }
        while (c->len + h->caplen > c->dcap) {
            c->dcap = c->dcap ? 2 * c->dcap : 1 << 20;
            c->data = realloc(c->data, c->dcap);
        }
        if (!c->recs || !c->data) {
            fprintf(stderr, "equery-bench: out of memory\n");
            exit(3);
        }
        c->recs[c->n++] = (Rec){h->caplen, h->len, (int64_t)h->ts.tv_sec * 1000000000 + h->ts.tv_usec, c->len};
        memcpy(c->data + c->len, d, h->caplen);
        c->len += h->caplen;
    }
    if (rc == PCAP_ERROR)
        fprintf(stderr, "equery-bench: error reading %s: %s\n", path, pcap_geterr(p));
    pcap_close(p);
    return rc != PCAP_ERROR && c->n > 0;
}


void free_capture(Capture *c)
{
    free(c->recs);
    free(c->data);
}
