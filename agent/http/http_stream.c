/* Responses formatted a piece at a time. libmicrohttpd asks for the next bytes only when the
 * socket can take them, one piece per MHD_run, so a document of megabytes costs the loop a
 * series of short turns instead of one long one (issue 2: no turn over 5 ms). */
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "http_internal.h"

struct stream {
    struct httpf_buf out;
    size_t off; /* bytes of out already handed to MHD */
    bool done;
    httpf_fill_fn fill;
    httpf_free_fn free_fn;
    void *state;
};

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct stream *s = cls;
    (void)pos;
    if (s->off == s->out.len) {
        s->off = s->out.len = 0;
        while (!s->done && s->out.len == 0)
            s->done = s->fill(s->state, &s->out);
        if (s->out.oom)
            return MHD_CONTENT_READER_END_WITH_ERROR;
        if (s->out.len == 0)
            return MHD_CONTENT_READER_END_OF_STREAM;
    }
    size_t n = s->out.len - s->off;
    if (n > max)
        n = max;
    memcpy(buf, s->out.s + s->off, n);
    s->off += n;
    return (ssize_t)n;
}

static void stream_free(void *cls)
{
    struct stream *s = cls;
    s->free_fn(s->state);
    httpf_buf_free(&s->out);
    free(s);
}

struct MHD_Response *httpf_stream_response(httpf_fill_fn fill, httpf_free_fn free_fn, void *state)
{
    struct stream *s = calloc(1, sizeof(*s));
    if (!s || !httpf_buf_reserve(&s->out, HTTPF_PIECE + 4096)) {
        if (s)
            httpf_buf_free(&s->out);
        free(s);
        free_fn(state);
        return NULL;
    }
    s->fill = fill;
    s->free_fn = free_fn;
    s->state = state;
    struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, HTTPF_PIECE,
                                                               stream_read, s, stream_free);
    if (!r)
        stream_free(s);
    return r;
}
