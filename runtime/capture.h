/* capture.h - reading capture files ourselves: pcap (microsecond and
 * nanosecond, either byte order) and pcapng (every interface with its own
 * link type, snapshot length and time resolution, several sections), from
 * a file (mapped whole) or a stream (standard input, a pipe: large reads).
 * Several captures merge into one stream in time order, as `ra -R` and
 * `nfdump -R` read them.
 *
 * Why not libpcap's reader: it refuses a pcapng file whose interfaces
 * differ in snapshot length (mergecap's default output), it makes a call
 * and a copy per packet, and it cannot merge files. libpcap still compiles
 * capture filters (capture_filter.c) and captures live. */
#ifndef EQ_CAPTURE_H
#define EQ_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Records larger than this are taken for corruption, not packets. */
enum { CAP_MAX_RECORD = 16 << 20 };

typedef struct {
    const uint8_t *data;   /* valid until the next cap_next() */
    uint32_t caplen, wirelen;
    int64_t ts;            /* ns since the epoch */
    int linktype;          /* the file's LINKTYPE_ value (the parser takes them) */
} CapPacket;

typedef struct CapReader CapReader;

/* Opens one capture ("-": standard input). NULL with the reason in err,
 * which names the file. */
CapReader *cap_open(const char *path, char *err, size_t errlen);
/* The same over bytes in memory (not copied: they must outlive the
 * reader); `name` names it in messages. */
CapReader *cap_open_memory(const uint8_t *data, size_t len, const char *name, char *err, size_t errlen);
/* The next packet: 1, 0 at the end, -1 on an error (cap_error says what;
 * the packets before it were good). */
int cap_next(CapReader *r, CapPacket *p);
const char *cap_error(const CapReader *r);
const char *cap_path(const CapReader *r);
/* Bytes read so far and the file's size (0 for a stream), for progress. */
uint64_t cap_offset(const CapReader *r);
uint64_t cap_size(const CapReader *r);
/* The link type of the first interface (pcap: the file's), or -1 before
 * a pcapng file has described one. */
int cap_linktype(const CapReader *r);
/* The snapshot length the capture declares (pcap: the header's; pcapng: the
 * largest of the interfaces described so far), 0 when none yet. */
uint32_t cap_snaplen(const CapReader *r);
void cap_close(CapReader *r);

/* ---- several captures, merged in time order ---------------------------- */

typedef struct CapMerge CapMerge;

/* Opens every capture of paths[0..n): a path is a file, "-", or a folder
 * (its files, in name order; files that are not captures are skipped and
 * said in *skipped). NULL with the reason in err. */
CapMerge *cap_merge_open(const char *const *paths, size_t n, char *err, size_t errlen, unsigned *skipped);
/* The earliest next packet of all captures (ties: the capture given
 * first); 1, 0 at the end of all, -1 on an error in one (cap_merge_error). */
int cap_merge_next(CapMerge *m, CapPacket *p);
const char *cap_merge_error(const CapMerge *m);
unsigned cap_merge_count(const CapMerge *m);
uint64_t cap_merge_offset(const CapMerge *m);
uint64_t cap_merge_size(const CapMerge *m);
/* The link type of the first capture's first interface. */
int cap_merge_linktype(const CapMerge *m);
/* The largest snapshot length of the captures (0: none declared yet). */
uint32_t cap_merge_snaplen(const CapMerge *m);
void cap_merge_close(CapMerge *m);

#endif
