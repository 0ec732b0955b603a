/* INCRBYFLOAT's arithmetic exactly as Redis does it: parse both operands as
 * long double (string2ld), add, and print with "%.17Lf" trimmed of trailing
 * zeros (ld2string with LD_STR_HUMAN). Rust has no long double, and the
 * results visibly differ from double arithmetic (0.1 + 0.2 -> "0.3"). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LONG_DOUBLE_CHARS (5 * 1024)

static int string2ld(const char *s, size_t slen, long double *dp) {
    char buf[MAX_LONG_DOUBLE_CHARS];
    long double value;
    char *eptr;

    if (slen == 0 || slen >= sizeof(buf)) return 0;
    memcpy(buf, s, slen);
    buf[slen] = '\0';

    errno = 0;
    value = strtold(buf, &eptr);
    if (isspace((unsigned char)buf[0]) || eptr[0] != '\0' || (size_t)(eptr - buf) != slen ||
        (errno == ERANGE &&
         (value == HUGE_VALL || value == -HUGE_VALL || fpclassify(value) == FP_ZERO)) ||
        errno == EINVAL || isnan(value))
        return 0;
    *dp = value;
    return 1;
}

/* Returns 0 and writes the sum's text to out (*outlen bytes), or
 * 1: the current value is not a float, 2: the increment is not a float,
 * 3: the result is NaN or infinite, 4: out is too small. */
int tessera_ld_incr(const char *cur, size_t curlen, int has_cur, const char *incr, size_t incrlen,
                    char *out, size_t outcap, size_t *outlen) {
    long double value = 0, delta;
    int l;

    if (has_cur && !string2ld(cur, curlen, &value)) return 1;
    if (!string2ld(incr, incrlen, &delta)) return 2;
    value += delta;
    if (isnan(value) || isinf(value)) return 3;
    l = snprintf(out, outcap, "%.17Lf", value);
    if (l < 0 || (size_t)l + 1 > outcap) return 4;
    if (strchr(out, '.') != NULL) {
        char *p = out + l - 1;
        while (*p == '0') { p--; l--; }
        if (*p == '.') l--;
    }
    if (l == 2 && out[0] == '-' && out[1] == '0') { out[0] = '0'; l = 1; }
    *outlen = (size_t)l;
    return 0;
}
