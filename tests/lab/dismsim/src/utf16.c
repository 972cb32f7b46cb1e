/* UTF-16 (DISM's PCWSTR) <-> UTF-8 (the lab's internal strings). */
#include <locale.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>
#include "lab.h"

size_t u16_len(const WCHAR *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

/* Next code point of a UTF-16 string; lone surrogates become U+FFFD. */
static uint32_t u16_next(const WCHAR **p)
{
    uint32_t c = *(*p)++;
    if (c >= 0xD800 && c <= 0xDBFF && **p >= 0xDC00 && **p <= 0xDFFF)
        return 0x10000 + ((c - 0xD800) << 10) + (*(*p)++ - 0xDC00);
    if (c >= 0xD800 && c <= 0xDFFF)
        return 0xFFFD;
    return c;
}

static size_t utf8_put(uint32_t c, char *out)
{
    if (c < 0x80) { out[0] = (char)c; return 1; }
    if (c < 0x800) {
        out[0] = (char)(0xC0 | (c >> 6));
        out[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        out[0] = (char)(0xE0 | (c >> 12));
        out[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        out[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (c >> 18));
    out[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((c >> 6) & 0x3F));
    out[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

char *u16_to_utf8(const WCHAR *s)
{
    /* One UTF-16 unit never needs more than 3 UTF-8 bytes. */
    char *out = malloc(u16_len(s) * 3 + 1);
    if (!out)
        return NULL;
    size_t n = 0;
    while (*s)
        n += utf8_put(u16_next(&s), out + n);
    out[n] = '\0';
    return out;
}

/* Next code point of a UTF-8 string; malformed bytes become U+FFFD. */
static uint32_t utf8_next(const unsigned char **p)
{
    const unsigned char *s = *p;
    int extra = s[0] >= 0xF0 ? 3 : s[0] >= 0xE0 ? 2 : s[0] >= 0xC0 ? 1 : 0;
    uint32_t c = extra ? (s[0] & (0x3F >> extra)) : s[0];
    if (s[0] >= 0x80 && s[0] < 0xC0) {
        *p = s + 1;
        return 0xFFFD;
    }
    for (int i = 1; i <= extra; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *p = s + i;
            return 0xFFFD;
        }
        c = (c << 6) | (s[i] & 0x3F);
    }
    *p = s + 1 + extra;
    return c;
}

size_t utf8_to_u16(const char *s, WCHAR *dst)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = 0;
    while (*p) {
        uint32_t c = utf8_next(&p);
        if (c >= 0x10000) {
            if (dst) {
                dst[n] = (WCHAR)(0xD800 + ((c - 0x10000) >> 10));
                dst[n + 1] = (WCHAR)(0xDC00 + ((c - 0x10000) & 0x3FF));
            }
            n += 2;
        } else {
            if (dst)
                dst[n] = (WCHAR)c;
            n++;
        }
    }
    if (dst)
        dst[n] = 0;
    return n + 1;
}

/* NTFS compares names through an upcase table; towupper in a UTF-8 locale
 * is the closest portable stand-in. */
static locale_t utf8_locale;
static pthread_once_t locale_once = PTHREAD_ONCE_INIT;

static void locale_init(void)
{
    utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

int utf8_casecmp(const char *a, const char *b)
{
    pthread_once(&locale_once, locale_init);
    const unsigned char *p = (const unsigned char *)a, *q = (const unsigned char *)b;
    while (*p && *q) {
        uint32_t x = utf8_next(&p), y = utf8_next(&q);
        if (utf8_locale) {
            x = (uint32_t)towupper_l((wint_t)x, utf8_locale);
            y = (uint32_t)towupper_l((wint_t)y, utf8_locale);
        } else if (x < 0x80 && y < 0x80) {
            x = (uint32_t)towupper((wint_t)x);
            y = (uint32_t)towupper((wint_t)y);
        }
        if (x != y)
            return x < y ? -1 : 1;
    }
    return (*p != 0) - (*q != 0);
}
