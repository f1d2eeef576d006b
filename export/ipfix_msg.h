/* ipfix_msg.h - IPFIX messages (RFC 7011 section 3): records are added to
 * sets, sets to a message of at most `mtu` octets; a record that does not
 * fit ends the message (it goes out through `emit`) and starts the next.
 * The header's sequence number is the number of data records sent before
 * the message in this observation domain (templates are not counted), as
 * collectors (nfcapd) check it. No padding, no variable-length fields. */
#ifndef EQ_IPFIX_MSG_H
#define EQ_IPFIX_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    IPFIX_VERSION = 10,
    IPFIX_HEADER_LEN = 16,
    IPFIX_SET_HEADER_LEN = 4,
    IPFIX_SET_TEMPLATE = 2,
    IPFIX_SET_OPTIONS_TEMPLATE = 3,
    IPFIX_MSG_MAX = 65535,
    /* the smallest --ipfix-mtu: a header, a set header and a small record */
    IPFIX_MTU_MIN = 64,
};

typedef void (*IpfixEmit)(void *ctx, const uint8_t *msg, size_t len);

typedef struct {
    uint8_t buf[IPFIX_MSG_MAX];
    size_t mtu, len;        /* len: 0 when no message is open */
    size_t set_off;         /* the open set's offset (0: none) */
    uint16_t set_id;
    uint32_t domain, export_time;
    uint32_t seq;           /* data records sent before the open message */
    uint32_t msg_records;   /* data records in the open message */
    uint64_t messages, records;
    IpfixEmit emit;
    void *ctx;
} IpfixMsg;

/* mtu: IPFIX_MTU_MIN .. IPFIX_MSG_MAX. */
void ipfix_msg_init(IpfixMsg *m, size_t mtu, uint32_t domain, IpfixEmit emit, void *ctx);
/* The export time (seconds since the epoch) of messages finished from now. */
void ipfix_msg_time(IpfixMsg *m, uint32_t t);
/* Adds a record to a set of `set_id` (2: template set, 3: options
 * template set, >= 256: data set of that template); false when it can fit
 * no message of this mtu. */
bool ipfix_msg_add(IpfixMsg *m, uint16_t set_id, const uint8_t *rec, size_t len);
/* Ends the open message, if any, and emits it. */
void ipfix_msg_flush(IpfixMsg *m);
/* Room for one more record of len octets in a set of set_id, without a
 * new message. */
bool ipfix_msg_fits(const IpfixMsg *m, uint16_t set_id, size_t len);

#endif
