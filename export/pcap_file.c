/* pcap_file.c - a pcap file's header and records (pcap_file.h). */
#include "pcap_file.h"

static void put32le(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

bool pcap_file_header(FILE *f, uint32_t snaplen, int linktype)
{
    uint8_t h[24];
    put32le(h, 0xa1b23c4d);
    h[4] = 2, h[5] = 0, h[6] = 4, h[7] = 0; /* version 2.4 */
    put32le(h + 8, 0);
    put32le(h + 12, 0);
    put32le(h + 16, snaplen);
    put32le(h + 20, (uint32_t)linktype);
    return fwrite(h, 1, sizeof h, f) == sizeof h;
}

bool pcap_file_frame(FILE *f, const OutFrame *fr)
{
    uint8_t h[16];
    int64_t sec = fr->ts / 1000000000, nsec = fr->ts % 1000000000;
    if (nsec < 0)
        nsec += 1000000000, sec--;
    put32le(h, (uint32_t)sec);
    put32le(h + 4, (uint32_t)nsec);
    put32le(h + 8, fr->caplen);
    put32le(h + 12, fr->wirelen);
    return fwrite(h, 1, sizeof h, f) == sizeof h && fwrite(fr->data, 1, fr->caplen, f) == fr->caplen;
}
