/* pcap_sink.c - --pcap-out FILE: the frames the packet queries matched,
 * as a pcap file (nanosecond timestamps, magic a1b23c4d) that tcpdump,
 * tshark and Wireshark read. A frame two packet queries matched is written
 * once; each keeps its captured bytes, its length on the wire and its
 * timestamp. The header is written with the first frame (its link type
 * is the file's), or at the end when no frame matched (Ethernet). */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"
#include "pcap_file.h"

typedef struct {
    FILE *f;
    char *path;
    uint32_t snaplen;
    int linktype;          /* -1: no header yet */
    uint64_t last_seq;     /* the frame written last */
    uint64_t written, other_link, no_frame;
    int other_linktype;
    bool quiet, failed;
    int err;
} PcapSink;

/* The first failure is kept (and said at the end). */
static void failed(PcapSink *s)
{
    if (!s->failed) {
        s->failed = true;
        s->err = errno;
    }
}

static void write_header(PcapSink *s, int linktype)
{
    if (!pcap_file_header(s->f, s->snaplen, linktype))
        failed(s);
    s->linktype = linktype;
}

static void pcap_packet_row(void *ctx, const OutSource *src, int64_t ts, const EqValue *row, const OutFrame *fr)
{
    (void)src, (void)ts, (void)row;
    PcapSink *s = ctx;
    if (!fr) {
        s->no_frame++;
        return;
    }
    if (fr->seq == s->last_seq)
        return;
    s->last_seq = fr->seq;
    if (s->linktype < 0)
        write_header(s, fr->linktype);
    if (fr->linktype != s->linktype) {
        s->other_link++;
        s->other_linktype = fr->linktype;
        return;
    }
    if (!s->failed && !pcap_file_frame(s->f, fr))
        failed(s);
    s->written++;
}

static void pcap_flush(void *ctx)
{
    PcapSink *s = ctx;
    fflush(s->f);
}

static void pcap_finish(void *ctx, const struct EngineStats *st)
{
    (void)st;
    PcapSink *s = ctx;
    if (!s->quiet)
        fprintf(stderr, "equery-run: pcap-out: %" PRIu64 " packets written to %s\n", s->written, s->path);
}

static bool pcap_close(void *ctx)
{
    PcapSink *s = ctx;
    bool ok = true;
    if (s->linktype < 0)
        write_header(s, PCAP_LINKTYPE_ETHERNET);
    if (s->other_link)
        fprintf(stderr, "equery-run: warning: %" PRIu64 " matched packets of link type %d were not written to %s, "
                        "a pcap file of link type %d (one link type a file)\n",
                s->other_link, s->other_linktype, s->path, s->linktype);
    if (s->no_frame)
        fprintf(stderr, "equery-run: warning: %" PRIu64 " packet rows had no frame to write to %s (KOMon samples)\n",
                s->no_frame, s->path);
    if (fclose(s->f) != 0)
        failed(s);
    if (s->failed) {
        fprintf(stderr, "equery-run: error: writing '%s' failed: %s\n", s->path, strerror(s->err));
        ok = false;
    }
    free(s->path);
    free(s);
    return ok;
}

void *pcap_sink_new(const char *path, uint32_t snaplen, bool quiet, char *err, size_t errlen)
{
    PcapSink *s = calloc(1, sizeof *s);
    if (!s || !(s->path = strdup(path))) {
        snprintf(err, errlen, "out of memory");
        free(s);
        return NULL;
    }
    if (!(s->f = fopen(path, "wb"))) {
        snprintf(err, errlen, "cannot write '%s': %s", path, strerror(errno));
        free(s->path);
        free(s);
        return NULL;
    }
    s->snaplen = snaplen;
    s->linktype = -1;
    s->quiet = quiet;
    return s;
}

const OutSinkOps pcap_sink_ops = {
    .name = "pcap",
    .packet_row = pcap_packet_row,
    .flush = pcap_flush,
    .finish = pcap_finish,
    .close = pcap_close,
};
