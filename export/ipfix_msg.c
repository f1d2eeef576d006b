/* ipfix_msg.c - IPFIX message and set encoding; see ipfix_msg.h. */
#include "ipfix_msg.h"

#include <string.h>

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p + 2, (uint16_t)v);
}

void ipfix_msg_init(IpfixMsg *m, size_t mtu, uint32_t domain, IpfixEmit emit, void *ctx)
{
    memset(m, 0, offsetof(IpfixMsg, messages));
    m->messages = m->records = 0;
    m->mtu = mtu < IPFIX_MTU_MIN ? IPFIX_MTU_MIN : mtu > IPFIX_MSG_MAX ? IPFIX_MSG_MAX : mtu;
    m->domain = domain;
    m->emit = emit;
    m->ctx = ctx;
}

void ipfix_msg_time(IpfixMsg *m, uint32_t t) { m->export_time = t; }

static void close_set(IpfixMsg *m)
{
    if (m->set_off)
        put16(m->buf + m->set_off + 2, (uint16_t)(m->len - m->set_off));
    m->set_off = 0;
    m->set_id = 0;
}

void ipfix_msg_flush(IpfixMsg *m)
{
    if (!m->len)
        return;
    close_set(m);
    put16(m->buf, IPFIX_VERSION);
    put16(m->buf + 2, (uint16_t)m->len);
    put32(m->buf + 4, m->export_time);
    put32(m->buf + 8, m->seq);
    put32(m->buf + 12, m->domain);
    m->emit(m->ctx, m->buf, m->len);
    m->messages++;
    m->seq += m->msg_records;
    m->records += m->msg_records;
    m->msg_records = 0;
    m->len = 0;
}

bool ipfix_msg_fits(const IpfixMsg *m, uint16_t set_id, size_t len)
{
    size_t used = m->len ? m->len : IPFIX_HEADER_LEN;
    if (!(m->set_off && m->set_id == set_id))
        used += IPFIX_SET_HEADER_LEN;
    return used + len <= m->mtu;
}

bool ipfix_msg_add(IpfixMsg *m, uint16_t set_id, const uint8_t *rec, size_t len)
{
    if (IPFIX_HEADER_LEN + IPFIX_SET_HEADER_LEN + len > m->mtu)
        return false;
    if (!ipfix_msg_fits(m, set_id, len))
        ipfix_msg_flush(m);
    if (!m->len)
        m->len = IPFIX_HEADER_LEN;
    if (!(m->set_off && m->set_id == set_id)) {
        close_set(m);
        m->set_off = m->len;
        m->set_id = set_id;
        put16(m->buf + m->len, set_id);
        m->len += IPFIX_SET_HEADER_LEN;
    }
    memcpy(m->buf + m->len, rec, len);
    m->len += len;
    if (set_id >= 256)
        m->msg_records++;
    return true;
}
