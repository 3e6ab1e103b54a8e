/* What a peer or a proxy says after the connect: the SMTP reply parser (EHLO, STARTTLS), the
 * end of an HTTP header block and the status line. Any bytes are judged without reading past
 * their end, and a reply said to be complete has a code a reply can have. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* an exact-size copy: a read past the end is caught */
    char *buf = malloc(size ? size : 1);
    memcpy(buf, data, size);
    char why[SMSA_DETAIL_TEXT], line[SMSA_DETAIL_TEXT];
    unsigned code = 0;
    bool starttls = false;
    int st = probe_parse_smtp_reply(buf, size, &code, &starttls, why, sizeof(why));
    if (st > 0 && (code < 200 || code > 599)) /* RFC 5321 §4.2 */
        abort();
    if (st < 0 && !memchr(why, '\0', sizeof(why)))
        abort();
    size_t end = probe_http_header_end(buf, size);
    if (end > size)
        abort();
    code = 0;
    st =
        probe_parse_http_status(buf, end ? end : size, &code, line, sizeof(line), why, sizeof(why));
    /* three digits, whatever they are: a proxy's answer outside 2xx is its no */
    if (st > 0 && (code > 999 || strncmp(line, "HTTP/1.", 7) != 0))
        abort();
    free(buf);
    return 0;
}
