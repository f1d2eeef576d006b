/* fuzz_capture.c - libFuzzer target over the capture reader (capture.c):
 * any bytes must end in packets and an end or a clear error, never in a
 * read out of bounds, a crash, a hang or a leak. Every packet's bytes are
 * touched, so a length that lies is caught by AddressSanitizer. */
#include <stdint.h>
#include <stdio.h>

#include "capture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    CapReader *r = cap_open_memory(data, size, "fuzz", err, sizeof err);
    if (!r)
        return 0;
    CapPacket p;
    volatile uint8_t sum = 0;
    while (cap_next(r, &p) == 1)
        for (uint32_t i = 0; i < p.caplen; i++)
            sum ^= p.data[i];
    (void)sum;
    cap_close(r);
    return 0;
}
