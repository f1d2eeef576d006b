/* queue.c - see queue.h. The frames form one sequence: the oldest in
 * memory, the newest appended to the spool file once memory is full; as
 * acknowledgements free memory, frames come back from the spool in order. */
#define _GNU_SOURCE
#include "queue.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct Node {
    struct Node *next;
    uint64_t seq;
    size_t len;
    uint8_t data[];
} Node;

struct FrameQueue {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    QueueLimits lim;
    Node *head, *tail;        /* in memory, oldest first */
    size_t mem;
    FILE *spool;              /* frames after tail, oldest first; NULL: none */
    char *spool_path;
    uint64_t spool_bytes;     /* written and not yet read back */
    long spool_read;          /* offset of the next frame to read back */
    bool closed;
    QueueStats st;
};

static uint64_t frame_seq(const uint8_t *frame)
{
    uint64_t seq;
    memcpy(&seq, frame + 8, 8);
    return seq;
}

FrameQueue *fq_new(const QueueLimits *lim, const char *name)
{
    FrameQueue *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->cv, NULL);
    q->lim = *lim;
    if (lim->spool_dir && asprintf(&q->spool_path, "%s/%s.spool", lim->spool_dir, name) < 0)
        q->spool_path = NULL;
    return q;
}

static Node *node(const uint8_t *frame, size_t len)
{
    Node *n = malloc(sizeof *n + len);
    if (n) {
        n->next = NULL;
        n->seq = frame_seq(frame);
        n->len = len;
        memcpy(n->data, frame, len);
    }
    return n;
}

static void append(FrameQueue *q, Node *n)
{
    if (q->tail)
        q->tail->next = n;
    else
        q->head = n;
    q->tail = n;
    q->mem += n->len;
    q->st.in_memory = q->mem;
}

/* The oldest frame in memory is given up (the spool is full or absent). */
static void drop_oldest(FrameQueue *q)
{
    Node *n = q->head;
    if (!n)
        return;
    q->head = n->next;
    if (!q->head)
        q->tail = NULL;
    q->mem -= n->len;
    q->st.dropped_frames++;
    free(n);
}

static bool spool_write(FrameQueue *q, const uint8_t *frame, size_t len)
{
    if (!q->spool_path || q->spool_bytes + len > q->lim.spool_limit)
        return false;
    if (!q->spool) {
        q->spool = fopen(q->spool_path, "w+");
        if (!q->spool)
            return false;
        q->spool_read = 0;
    }
    if (fseek(q->spool, 0, SEEK_END) != 0 || fwrite(frame, 1, len, q->spool) != len || fflush(q->spool) != 0)
        return false;
    q->spool_bytes += len;
    q->st.spooled_bytes = q->spool_bytes;
    return true;
}

/* Brings spooled frames back into memory while there is room. */
static void refill(FrameQueue *q)
{
    while (q->spool && q->spool_bytes > 0 && q->mem < q->lim.mem_limit) {
        uint8_t hdr[PROTO_HDR];
        if (fseek(q->spool, q->spool_read, SEEK_SET) != 0 || fread(hdr, 1, PROTO_HDR, q->spool) != PROTO_HDR)
            break;
        uint32_t plen;
        memcpy(&plen, hdr, 4);
        size_t len = PROTO_HDR + (size_t)plen;
        Node *n = malloc(sizeof *n + len);
        if (!n)
            break;
        memcpy(n->data, hdr, PROTO_HDR);
        if (fread(n->data + PROTO_HDR, 1, plen, q->spool) != plen) {
            free(n);
            break;
        }
        n->next = NULL;
        n->seq = frame_seq(n->data);
        n->len = len;
        append(q, n);
        q->spool_read += (long)len;
        q->spool_bytes -= len;
    }
    if (q->spool && q->spool_bytes == 0) {
        fclose(q->spool);
        q->spool = NULL;
        unlink(q->spool_path);
    }
    q->st.spooled_bytes = q->spool_bytes;
}

void fq_push(FrameQueue *q, const uint8_t *frame, size_t len)
{
    pthread_mutex_lock(&q->mu);
    q->st.pushed++;
    /* in order: once frames are spooled, newer ones follow them there */
    if ((q->spool && q->spool_bytes > 0) || q->mem + len > q->lim.mem_limit) {
        if (!spool_write(q, frame, len)) {
            /* no room anywhere: make room in memory by the oldest */
            while (q->head && q->mem + len > q->lim.mem_limit)
                drop_oldest(q);
            if (q->spool && q->spool_bytes > 0) {
                q->st.dropped_frames++; /* it cannot jump the spooled ones */
                goto out;
            }
            Node *n = node(frame, len);
            if (n)
                append(q, n);
            else
                q->st.dropped_frames++;
        }
    } else {
        Node *n = node(frame, len);
        if (n)
            append(q, n);
        else
            q->st.dropped_frames++;
    }
out:
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

uint64_t fq_read(FrameQueue *q, uint64_t after, Wbuf *out, size_t max, int timeout_ms, bool *ended)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
    if (until.tv_nsec >= 1000000000) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&q->mu);
    uint64_t last = after;
    *ended = false;
    for (;;) {
        refill(q);
        size_t taken = 0;
        for (Node *n = q->head; n; n = n->next) {
            if (n->seq <= after)
                continue;
            if (taken && taken + n->len > max)
                break;
            wb_bytes(out, n->data, n->len);
            taken += n->len;
            last = n->seq;
        }
        bool more = q->spool && q->spool_bytes > 0;
        if (taken || more)
            break; /* (spooled frames come once acknowledgements make room) */
        if (q->closed) {
            *ended = true;
            break;
        }
        if (pthread_cond_timedwait(&q->cv, &q->mu, &until) == ETIMEDOUT)
            break;
    }
    pthread_mutex_unlock(&q->mu);
    return last;
}

void fq_ack(FrameQueue *q, uint64_t seq)
{
    pthread_mutex_lock(&q->mu);
    while (q->head && q->head->seq <= seq) {
        Node *n = q->head;
        q->head = n->next;
        if (!q->head)
            q->tail = NULL;
        q->mem -= n->len;
        free(n);
    }
    if (seq > q->st.acked)
        q->st.acked = seq;
    q->st.in_memory = q->mem;
    refill(q);
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

void fq_close(FrameQueue *q)
{
    pthread_mutex_lock(&q->mu);
    q->closed = true;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

void fq_stats(FrameQueue *q, QueueStats *st)
{
    pthread_mutex_lock(&q->mu);
    *st = q->st;
    pthread_mutex_unlock(&q->mu);
}

void fq_free(FrameQueue *q)
{
    if (!q)
        return;
    while (q->head)
        drop_oldest(q);
    if (q->spool) {
        fclose(q->spool);
        unlink(q->spool_path);
    }
    free(q->spool_path);
    pthread_cond_destroy(&q->cv);
    pthread_mutex_destroy(&q->mu);
    free(q);
}
