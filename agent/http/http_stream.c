/* The large documents (/metrics, /api/v1/flows): built a slice per loop turn, then sent a
 * piece at a time.
 *
 * A document of megabytes formatted inside one request's turn, or forty of them formatted in
 * one MHD_run, would stall the loop for tens of milliseconds, and every probe completing
 * meanwhile would be timed late. So a request only takes its source (the shared snapshot of
 * the model's generation); the document is formatted by a timer, at most HTTPF_TURN_BUDGET_US
 * of it per turn, while the requests that want it wait suspended. Readers that come while it is
 * built wait for the same build, and a finished document is served again while its source is
 * unchanged. Once whole, its entity tag is made of its bytes like every other document's, and
 * libmicrohttpd reads it HTTPF_PIECE bytes at a time, as the socket takes them. */
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#include "http_internal.h"
#include "loop.h"

/* Formatting done per loop turn, all documents together. */
#define HTTPF_TURN_BUDGET_US 1000
/* Bytes handed to a connection per MHD_run: with forty readers, forty of these (and the
 * loopback peer's receive path, which runs in our send) make one turn: the longest was
 * 3.4 ms of CPU (bench/rest/stall.py). Smaller blocks shorten that turn little and cost throughput,
 * since every send wakes its reader: at 8 KiB forty readers got a third fewer documents. */
#define SEND_BLOCK (16 * 1024)

struct httpf_doc {
    unsigned refs;
    size_t slot;
    httpf_take_fn take; /* the source, taken by the first slice */
    unsigned arg;
    bool taken;
    uint64_t gen, cgen;      /* of the model when it was taken */
    struct httpf_source src; /* state freed once the document is whole */
    bool done, failed;
    struct httpf_buf text;
    size_t hashed; /* bytes of text already in hash (a multiple of 8) */
    uint64_t hash;
    char etag[HTTPF_ETAG_LEN];
    struct MHD_Connection **waiters; /* suspended until done */
    size_t n_waiters, cap_waiters;
    struct httpf_doc *next_building;
};

static struct httpf_doc *slots[HTTPF_DOC_SLOTS]; /* the newest document of each slot */
static struct httpf_doc *building;               /* first of the documents being formatted */
static struct loop_timer step_timer;
static struct httpf_buf piece; /* scratch: one piece, formatted */
static bool resumed;           /* a waiter was resumed since the face last asked */

static void doc_unref(struct httpf_doc *d)
{
    if (!d || --d->refs > 0)
        return;
    if (d->src.state)
        d->src.free_fn(d->src.state);
    httpf_buf_free(&d->text);
    free(d->waiters);
    free(d);
}

void httpf_doc_unref(struct httpf_doc *d)
{
    doc_unref(d);
}

bool httpf_doc_done(const struct httpf_doc *d)
{
    return d->done;
}

bool httpf_doc_failed(const struct httpf_doc *d)
{
    return d->failed;
}

const char *httpf_doc_etag(const struct httpf_doc *d)
{
    return d->etag;
}

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The document is whole (or failed): its tag, its waiters resumed, its source let go. */
static void finish(struct httpf_doc *d)
{
    d->done = true;
    if (d->text.oom) {
        d->failed = true;
    } else {
        d->hash = httpf_hash(d->hash, d->text.s + d->hashed, d->text.len - d->hashed);
        d->hashed = d->text.len;
        httpf_etag_from_hash(d->etag, sizeof(d->etag), d->hash);
    }
    if (d->src.state)
        d->src.free_fn(d->src.state);
    d->src.state = NULL;
    for (size_t i = 0; i < d->n_waiters; i++)
        MHD_resume_connection(d->waiters[i]);
    resumed = true;
    d->n_waiters = 0;
    if (d->failed && slots[d->slot] == d) {
        slots[d->slot] = NULL;
        doc_unref(d);
    }
}

/* One piece of d; true when d is whole. The fill functions write up to HTTPF_PIECE bytes
 * into an empty buffer: a scratch one, appended to the document. */
static bool step_one(struct httpf_doc *d)
{
    if (!d->taken) {
        /* Taken here rather than in the request's turn: a new snapshot is a slice of its own
         * work, not added to the turn that reads forty requests. */
        const struct smsa_model *m = core_model();
        d->taken = true;
        d->gen = m->generation;
        d->cgen = m->config_generation;
        if (d->take(m, d->arg, &d->src) < 0)
            d->text.oom = true;
        return d->text.oom;
    }
    piece.len = 0;
    piece.oom = false;
    bool whole = d->src.fill(d->src.state, &piece);
    httpf_put(&d->text, piece.s, piece.len);
    if (piece.oom)
        d->text.oom = true;
    /* Hashed as it grows, in whole words, so that the tag costs nothing at the end. */
    size_t n = (d->text.len - d->hashed) & ~(size_t)7;
    if (n && !d->text.oom) {
        d->hash = httpf_hash(d->hash, d->text.s + d->hashed, n);
        d->hashed += n;
    }
    return whole || d->text.oom;
}

static void on_step(void *arg)
{
    (void)arg;
    int64_t start = mono_us();
    while (building && mono_us() - start < HTTPF_TURN_BUDGET_US) {
        struct httpf_doc *d = building;
        if (step_one(d)) {
            building = d->next_building;
            finish(d);
            doc_unref(d); /* the building list's reference */
        }
    }
    if (building)
        loop_timer_start(&step_timer, 0, on_step, NULL);
}

bool httpf_docs_resumed(void)
{
    bool r = resumed;
    resumed = false;
    return r;
}

struct httpf_doc *httpf_doc_want(size_t slot, httpf_take_fn take, unsigned arg)
{
    struct httpf_doc *cur = slot < HTTPF_DOC_SLOTS ? slots[slot] : NULL;
    if (slot >= HTTPF_DOC_SLOTS)
        return NULL;
    /* A build under way began before this request came: its numbers are new enough. */
    if (cur && !cur->done) {
        cur->refs++;
        return cur;
    }
    /* A document of the model's generation alone is served again while it is current. */
    const struct smsa_model *m = core_model();
    if (cur && !cur->failed && cur->src.per_generation && cur->gen == m->generation &&
        cur->cgen == m->config_generation) {
        cur->refs++;
        return cur;
    }
    struct httpf_doc *d = calloc(1, sizeof(*d));
    /* Room for as much as the last one of this slot: no copying as it grows. */
    size_t room = (cur ? cur->text.len : 0) + HTTPF_PIECE + 4096;
    if (!d || !httpf_buf_reserve(&d->text, room)) {
        if (d)
            httpf_buf_free(&d->text);
        free(d);
        return NULL;
    }
    d->slot = slot;
    d->take = take;
    d->arg = arg;
    d->refs = 3; /* the slot, the building list, the caller */
    doc_unref(slots[slot]);
    slots[slot] = d;
    struct httpf_doc **p = &building;
    while (*p)
        p = &(*p)->next_building;
    *p = d;
    if (!loop_timer_armed(&step_timer))
        loop_timer_start(&step_timer, 0, on_step, NULL);
    return d;
}

int httpf_doc_wait(struct httpf_doc *d, struct MHD_Connection *conn)
{
    if (d->n_waiters == d->cap_waiters) {
        size_t cap = d->cap_waiters ? 2 * d->cap_waiters : 8;
        struct MHD_Connection **w = realloc(d->waiters, cap * sizeof(*w));
        if (!w)
            return -1;
        d->waiters = w;
        d->cap_waiters = cap;
    }
    d->waiters[d->n_waiters++] = conn;
    MHD_suspend_connection(conn);
    return 0;
}

/* ---- reading a whole document ---- */

struct reader {
    struct httpf_doc *doc;
};

static ssize_t doc_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct reader *r = cls;
    const struct httpf_buf *t = &r->doc->text;
    if (pos >= t->len)
        return MHD_CONTENT_READER_END_OF_STREAM;
    size_t n = t->len - (size_t)pos;
    if (n > max)
        n = max;
    memcpy(buf, t->s + pos, n);
    return (ssize_t)n;
}

static void doc_read_free(void *cls)
{
    struct reader *r = cls;
    doc_unref(r->doc);
    free(r);
}

struct MHD_Response *httpf_doc_response(struct httpf_doc *d)
{
    struct reader *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->doc = d;
    d->refs++;
    struct MHD_Response *resp =
        MHD_create_response_from_callback(d->text.len, SEND_BLOCK, doc_read, r, doc_read_free);
    if (!resp)
        doc_read_free(r);
    return resp;
}

void httpf_docs_fini(void)
{
    loop_timer_stop(&step_timer);
    while (building) {
        struct httpf_doc *d = building;
        building = d->next_building;
        d->text.oom = true; /* what waits for it gets a 500 as the face stops */
        finish(d);
        doc_unref(d);
    }
    for (size_t i = 0; i < HTTPF_DOC_SLOTS; i++) {
        doc_unref(slots[i]);
        slots[i] = NULL;
    }
    httpf_buf_free(&piece);
}
