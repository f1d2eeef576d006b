/* capture.h - a capture file held in memory, for the benchmarks. */
#ifndef EQ_BENCH_CAPTURE_H
#define EQ_BENCH_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint32_t caplen, wirelen;
    int64_t ts;
    size_t off; /* into the data block */
} Rec;

typedef struct {
    Rec *recs;
    size_t n, cap;
    uint8_t *data;
    size_t len, dcap;
    int linktype;
} Capture;

/* Reads every packet of `path`; false (after saying why) on failure. */
bool load_capture(const char *path, Capture *c);
void free_capture(Capture *c);

#endif
