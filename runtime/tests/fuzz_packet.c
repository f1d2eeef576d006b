/* fuzz_packet.c - libFuzzer target for the packet parser (runtime/packet.c).
 *
 * Input: byte 0 selects the link type and how many more bytes the frame
 * had on the wire (packet_check.h: eq_fuzz_links, eq_fuzz_extra); the rest
 * is the captured frame, so caplen is exactly what is there and any read
 * past it is an AddressSanitizer error. Every accessor is then called, and
 * the parse result must satisfy eq_check_invariants: a broken one aborts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "eq_packet.h"
#include "packet_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A sink the compiler cannot see through, so no accessor call is dropped. */
static volatile uint32_t sink;

/* Calls every accessor of eq_packet.h on p. */
static void call_accessors(const EqPkt *p)
{
    EqAddr a;
    uint8_t mac[6] = {0}, u8 = 0;
    uint16_t u16 = 0;
    uint32_t u32 = 0;

    sink += eq_has_ip(p);
    if (eq_saddr(p, &a))
        sink += a.b[0] + a.b[15];
    if (eq_daddr(p, &a))
        sink += a.b[3] + a.v6;
    if (eq_smac(p, mac))
        sink += mac[0] + mac[5];
    if (eq_dmac(p, mac))
        sink += mac[0] + mac[5];
    sink += eq_proto(p, &u8) ? u8 : 0;
    sink += eq_sport(p, &u16) ? u16 : 0;
    sink += eq_dport(p, &u16) ? u16 : 0;
    sink += eq_flgs(p, &u8) ? u8 : 0;
    sink += eq_tcp_seq(p, &u32) ? u32 : 0;
    sink += eq_tcp_ack(p, &u32) ? u32 : 0;
    sink += eq_swin(p, &u16) ? u16 : 0;
    sink += eq_stos(p, &u8) ? u8 : 0;
    sink += eq_dscp(p, &u8) ? u8 : 0;
    sink += eq_ecn(p, &u8) ? u8 : 0;
    sink += eq_sttl(p, &u8) ? u8 : 0;
    sink += eq_sipid(p, &u16) ? u16 : 0;
    sink += eq_smpls(p, &u32) ? u32 : 0;
    sink += eq_svlan(p, &u16) ? u16 : 0;
    sink += eq_svid(p, &u16) ? u16 : 0;
    sink += eq_svpri(p, &u8) ? u8 : 0;
    sink += eq_ip_len(p, &u32) ? u32 : 0;
    sink += eq_payload_len(p, &u32) ? u32 : 0;
    sink += eq_pkt_len(p, &u32) ? u32 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* nothing to choose a link with; or too long for caplen + extra in 32 bits */
    if (size == 0 || size - 1 > UINT32_MAX / 2)
        return 0;
    int link = eq_fuzz_links[data[0] % EQ_FUZZ_NLINKS];
    uint32_t caplen = (uint32_t)(size - 1);
    uint32_t wirelen = caplen + eq_fuzz_extra(data[0]);
    EqPkt p;
    int ret = eq_parse(&p, link, data + 1, caplen, wirelen, 0);
    const char *broken = eq_check_invariants(&p);
    if (ret != p.malformed || broken) {
        fprintf(stderr, "fuzz_packet: link %d: %s\n", link, broken ? broken : "return value is not p->malformed");
        abort();
    }
    call_accessors(&p);
    return 0;
}
