/* input.c - see input.h. */
#define _GNU_SOURCE
#include "input.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

const InputDesc input_desc[INPUT_COUNT] = {
#define INPUT(id, option, arg, source, live, one_program, help) {option, arg, &source, live, one_program, help},
#include "inputs.def"
#undef INPUT
};

void input_options(InputKind k, const char *arg, SourceOptions *so)
{
    switch (k) {
    case INPUT_PCAP: so->pcap_file = arg; break;
    case INPUT_IFACE:
    case INPUT_XDP: so->iface = arg; break;
    case INPUT_TC:
        so->iface = arg;
        so->tc = true;
        break;
    case INPUT_DPDK: so->eal_args = arg; break;
    case INPUT_COUNT: break;
    }
}

bool input_check(InputKind k, const char *arg, char *err, size_t errlen)
{
    switch (k) {
    case INPUT_PCAP:
        if (access(arg, R_OK) != 0) {
            snprintf(err, errlen, "cannot read '%s': %s", arg, strerror(errno));
            return false;
        }
        return true;
    case INPUT_IFACE:
    case INPUT_XDP:
    case INPUT_TC:
        if (if_nametoindex(arg) == 0) {
            snprintf(err, errlen, "there is no interface '%s' (see 'ip link' for the names)", arg);
            return false;
        }
        return true;
    case INPUT_DPDK:
    case INPUT_COUNT: return true;
    }
    return true;
}
