/* capture_filter.h - a capture filter in tcpdump's syntax (--capture-filter)
 * applied to packets of capture files read by capture.c: libpcap compiles
 * it, once per link type met (a pcapng file may have several). */
#ifndef EQ_CAPTURE_FILTER_H
#define EQ_CAPTURE_FILTER_H

#include <stdbool.h>
#include <stddef.h>

#include "capture.h"

typedef struct CaptureFilter CaptureFilter;

/* Checks the expression by compiling it for Ethernet; NULL with the reason. */
CaptureFilter *capture_filter_new(const char *expr, char *err, size_t errlen);
/* Whether the packet passes (a link type the expression cannot be compiled
 * for passes nothing). */
bool capture_filter_match(CaptureFilter *f, const CapPacket *p);
void capture_filter_free(CaptureFilter *f);

#endif
