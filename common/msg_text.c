/* msg_text.c: the two text forms the wire codec needs that are not JSON:
 * checking UTF-8 as jansson does, so that a frame the codec takes is one
 * jansson takes, and strict base64 for the byte fields (FK_BYTES). Private
 * to the codec (msg_schema.h).
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "msg_schema.h"

/* Length of the longest valid UTF-8 sequence at s (0 if invalid), as jansson
 * checks it: no overlong forms, no surrogates, nothing above U+10FFFF. */
size_t msg_utf8_seq_len (const unsigned char *s, size_t n)
{
    size_t len, i;
    uint32_t cp;

    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        len = 2, cp = s[0] & 0x1f;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        len = 3, cp = s[0] & 0x0f;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        len = 4, cp = s[0] & 0x07;
    else
        return 0;
    if (n < len)
        return 0;
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

/* base64, RFC 4648 with padding. */
static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* malloc'd NUL-terminated text; *out_len its length. */
char *msg_base64_encode (const unsigned char *in, size_t len, size_t *out_len)
{
    size_t n = 4 * ((len + 2) / 3), i, o = 0;
    char *out = malloc (n + 1);
    uint32_t v;

    if (!out)
        return NULL;
    for (i = 0; i + 2 < len; i += 3) {
        v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = b64_alphabet[v >> 18];
        out[o++] = b64_alphabet[(v >> 12) & 63];
        out[o++] = b64_alphabet[(v >> 6) & 63];
        out[o++] = b64_alphabet[v & 63];
    }
    if (i < len) {
        v = (uint32_t)in[i] << 16 | (i + 1 < len ? (uint32_t)in[i + 1] << 8 : 0);
        out[o++] = b64_alphabet[v >> 18];
        out[o++] = b64_alphabet[(v >> 12) & 63];
        out[o++] = i + 1 < len ? b64_alphabet[(v >> 6) & 63] : '=';
        out[o++] = '=';
    }
    out[o] = '\0';
    *out_len = o;
    return out;
}

static int base64_value (char c)
{
    const char *p;

    if (c == '\0' || !(p = strchr (b64_alphabet, c)))
        return -1;
    return (int)(p - b64_alphabet);
}

/* Decode n chars of strict base64 into out (room for 3 * n / 4 bytes).
 * -1/EINVAL on a bad character, length or padding. */
int msg_base64_decode (const char *in, size_t n, unsigned char *out, size_t *out_len)
{
    size_t i, o = 0, pad = 0;
    int q[4], k;

    if (n % 4 != 0)
        goto bad;
    if (n > 0 && in[n - 1] == '=')
        pad = (n > 1 && in[n - 2] == '=') ? 2 : 1;
    for (i = 0; i < n; i += 4) {
        for (k = 0; k < 4; k++) {
            bool is_pad = i + 4 == n && k >= 4 - (int)pad;
            q[k] = is_pad ? 0 : base64_value (in[i + k]);
            if (q[k] < 0)
                goto bad;
        }
        out[o++] = (unsigned char)(q[0] << 2 | q[1] >> 4);
        if (i + 4 < n || pad < 2)
            out[o++] = (unsigned char)((q[1] & 15) << 4 | q[2] >> 2);
        if (i + 4 < n || pad < 1)
            out[o++] = (unsigned char)((q[2] & 3) << 6 | q[3]);
    }
    *out_len = o;
    return 0;
bad:
    errno = EINVAL;
    return -1;
}
