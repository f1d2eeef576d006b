/* tcp_track.h - the TCP sequence tracker behind EqPktInfo.tcp_loss.
 *
 * The host runs every packet through tcp_track_packet() once, before the
 * queries see it (EqProgramDesc.needs_tcp_loss), and stores the result in
 * EqPktInfo.tcp_loss; the sloss/dloss/loss states add it up.
 *
 * Semantics, precisely:
 *
 * - Which packets are looked at: TCP segments over IPv4 or IPv6 whose
 *   transport header was parsed (EQ_HAS_TCP) and whose payload length is
 *   known (EQ_HAS_L4LEN). Everything else returns 0 and changes nothing.
 *
 * - Conversations: keyed by the unordered pair of endpoints (address,
 *   port) plus the outer VLAN id (0 without a tag, the same as a priority
 *   tag), so both directions of a connection share one entry. The
 *   direction of a segment is which endpoint sent it. (An endpoint talking
 *   to itself, same address and port, has a single direction.)
 *
 * - Sequence space: a segment "carries sequence space" when payload_len > 0
 *   or it has SYN or FIN. Its sequence end is
 *     end = seq + payload_len + (SYN ? 1 : 0) + (FIN ? 1 : 0)   (mod 2^32).
 *   Segments that carry none (pure ACKs, window updates) are ignored:
 *   they never count and change nothing. RST segments are ignored too,
 *   even with data: they never count and reset nothing (an RST's sequence
 *   number may be anything a peer or an attacker chose).
 *
 * - State: per conversation and direction, highest_end = the largest
 *   sequence end seen, compared in serial number arithmetic (RFC 1982: a
 *   is before b when (b - a) mod 2^32 is in [1, 2^31)), so it follows the
 *   sequence space across the 2^32 wrap.
 *
 * - The first segment that carries sequence space in a direction
 *   initialises it (highest_end = its end) and returns 0.
 *
 * - A later segment returns 1 ("loss": retransmitted or out of sequence)
 *   when end <= highest_end, i.e. its sequence range ends at or below the
 *   highest end seen, else it returns 0 and becomes the new highest_end.
 *   So:
 *     - an exact retransmission counts; so does a retransmitted SYN
 *       (SYN-ACK) or FIN, whose sequence number was already used;
 *     - a segment that overlaps old data but extends beyond highest_end
 *       does not count: it brings new data;
 *     - out of sequence: when segments are reordered, the one that arrives
 *       after a later one counts, even if it fills a gap that nothing had
 *       covered yet (a single highest end cannot tell a gap from data
 *       seen). The same holds for data missing from the capture but
 *       delivered (the capture lost the packet, not the network).
 *   Exceptions, which return 0:
 *     - keep-alives: no SYN/FIN, payload_len <= 1 and
 *       seq == highest_end - 1 (the probe re-sends the last byte or
 *       nothing, by design, and is not a loss);
 *     - a SYN whose sequence number differs from the SYN that started the
 *       direction (or when no SYN was seen in it): a new connection on the
 *       same addresses and ports (port reuse after TIME-WAIT), which
 *       re-initialises the direction instead of comparing with the old
 *       connection's numbers. A SYN with the same sequence number is a
 *       retransmission and counts.
 *
 * - Memory: at most max_conversations conversations. When a new one does
 *   not fit, the least recently used conversation (the one whose last
 *   sequence-carrying segment is oldest) is forgotten and counted in
 *   tcp_track_evicted(); if it shows up again it starts afresh (its next
 *   segment initialises the direction and does not count). The table
 *   starts small and grows up to the limit; should memory run short while
 *   growing, it behaves as full (evicts) instead.
 *
 * Note: docs/language.md section 6.3 describes loss differently: there,
 * SYNs and FINs never count, a late segment that fills a gap does not
 * count, and "seen earlier" is per query (after its Where packet tests),
 * whereas this tracker runs once per packet for all queries.
 *
 * Not thread-safe: one tracker per packet stream (per worker). */
#ifndef EQ_TCP_TRACK_H
#define EQ_TCP_TRACK_H

#include <stdint.h>

#include "eq_packet.h"

typedef struct TcpTrack TcpTrack;

/* A tracker remembering at most max_conversations conversations (at least
 * 1); NULL when max_conversations is 0 or memory is short. */
TcpTrack *tcp_track_new(uint32_t max_conversations);

/* Returns 1 when the packet is a TCP segment whose sequence range was
 * already covered (a retransmission or an out-of-sequence segment), else 0;
 * updates the tracker's state (see above). */
int tcp_track_packet(TcpTrack *t, const EqPkt *p);

/* Conversations dropped because the table was full. */
uint64_t tcp_track_evicted(const TcpTrack *t);

/* Frees the tracker; NULL is allowed. */
void tcp_track_free(TcpTrack *t);

#endif
