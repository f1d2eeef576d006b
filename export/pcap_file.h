/* pcap_file.h - the pcap format that --pcap-out writes (pcap_sink.c, one
 * file; pcap_dir_sink.c, a file per query instance): nanosecond
 * timestamps (magic a1b23c4d), little-endian, version 2.4. */
#ifndef EQ_PCAP_FILE_H
#define EQ_PCAP_FILE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "output.h"

enum { PCAP_LINKTYPE_ETHERNET = 1 };

/* The file header; false when the write failed (errno says why). */
bool pcap_file_header(FILE *f, uint32_t snaplen, int linktype);
/* One frame's record: its timestamp, captured bytes and length on the
 * wire; false when the write failed (errno says why). */
bool pcap_file_frame(FILE *f, const OutFrame *fr);

#endif
