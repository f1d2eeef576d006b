/* size_arg.h - a size on the command line, N[k|M|G]: equery-run's
 * --buffer-size, --rotate size=, --clickhouse-buffer and equery-box's
 * --buffer-size read it the same way. (In a header: both tools include it,
 * and neither links the other's objects.) */
#ifndef EQ_SIZE_ARG_H
#define EQ_SIZE_ARG_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

/* N[k|M|G], at least 1, decimal multiples (k = 1000); false for anything
 * else (a minus sign, another suffix, an overflow). */
static inline bool size_arg_parse(const char *num, uint64_t *out)
{
    char *end;
    if (!*num || *num == '-')
        return false;
    errno = 0;
    unsigned long long v = strtoull(num, &end, 10);
    uint64_t mult = 1;
    if (*end && !end[1]) {
        mult = *end == 'k' ? 1000 : *end == 'M' ? 1000000 : *end == 'G' ? 1000000000 : 0;
        end += mult != 0;
    }
    if (errno || *end || v == 0 || mult == 0 || v > UINT64_MAX / mult)
        return false;
    *out = v * mult;
    return true;
}

#endif
