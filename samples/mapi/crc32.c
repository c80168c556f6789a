/* crc32.c — CRC-32 (IEEE 802.3, the zlib polynomial), used to name the per-account marks key. */
#include "samples/mapi/mapisim.h"

uint32_t mapisim__crc32(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint32_t crc = 0xFFFFFFFFu;

    while (len--) {
        crc ^= *p++;
        for (int bit = 0; bit < 8; bit++)
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}
