/* threads.c - the partitions of the grouped queries measured on threads;
 * see threads.h. Two batches: the reader fills one while the other
 * threads measure the one before. */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "threads.h"

enum {
    /* frames per batch: a hand-over (a wake-up of every thread) is paid
     * once for this many */
    BATCH_FRAMES = 4096,
    /* a smaller batch (a window's last frames, a quiet capture) is measured
     * on the reading thread: waking a thread costs more than its share,
     * and on a busy machine the wake-up can wait for a time slice */
    HAND_OVER_MIN = 256,
};

typedef struct {
    EqFrame **f;  /* per partition, BATCH_FRAMES of room */
    size_t *n;    /* per partition */
    size_t total;
    int linktype;
} Batch;

typedef struct {
    ThrPool *pool;
    unsigned index; /* 1..threads-1: the reader is 0 */
    pthread_t tid;
    uint64_t measured; /* frames, written by this helper alone */
} Helper;

struct ThrPool {
    Engine *e;
    unsigned nthreads, nparts;
    Batch b[2];
    unsigned fill;        /* the batch being filled */
    const Batch *handed;  /* the batch being measured */
    bool outstanding;     /* the helpers have not finished `handed` */
    pthread_mutex_t mu;
    pthread_cond_t go, fin;
    unsigned gen;         /* batches handed so far */
    unsigned pending;     /* helpers still measuring `handed` */
    bool quit;
    Helper *h;
    unsigned nhelpers;    /* started */
    uint64_t added;       /* frames given to thr_add() */
};

/* Thread t's share of a batch: its partitions, p % threads == t. Returns
 * the number of frames measured. */
static size_t measure(ThrPool *p, const Batch *b, unsigned t)
{
    size_t n = 0;
    for (unsigned k = t; k < p->nparts; k += p->nthreads)
        if (b->n[k]) {
            engine_intake(p->e, &(EngineIntake){.role = INTAKE_WORKER, .linktype = b->linktype, .frames = b->f[k],
                                                .n = b->n[k], .worker = k});
            n += b->n[k];
        }
    return n;
}

static void *helper_main(void *arg)
{
    Helper *h = arg;
    ThrPool *p = h->pool;
    unsigned seen = 0;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        while (p->gen == seen && !p->quit)
            pthread_cond_wait(&p->go, &p->mu);
        if (p->quit) {
            pthread_mutex_unlock(&p->mu);
            return NULL;
        }
        seen = p->gen;
        const Batch *b = p->handed;
        pthread_mutex_unlock(&p->mu);
        h->measured += measure(p, b, h->index);
        pthread_mutex_lock(&p->mu);
        if (--p->pending == 0)
            pthread_cond_signal(&p->fin);
        pthread_mutex_unlock(&p->mu);
    }
}

/* Waits until the helpers have measured the batch handed last. */
static void wait_helpers(ThrPool *p)
{
    if (!p->outstanding)
        return;
    pthread_mutex_lock(&p->mu);
    while (p->pending)
        pthread_cond_wait(&p->fin, &p->mu);
    pthread_mutex_unlock(&p->mu);
    p->outstanding = false;
}

/* Hands the batch being filled to every thread, measures the reader's
 * share, and starts filling the other batch (once its helpers are done).
 * A small batch is measured on the reading thread alone. */
static void hand_over(ThrPool *p)
{
    Batch *b = &p->b[p->fill];
    if (!b->total)
        return;
    wait_helpers(p);
    if (b->total < HAND_OVER_MIN) {
        /* (the helpers are idle: every partition is the reader's now) */
        for (unsigned t = 0; t < p->nthreads; t++)
            measure(p, b, t);
    } else {
        pthread_mutex_lock(&p->mu);
        p->handed = b;
        p->pending = p->nhelpers;
        p->gen++;
        pthread_cond_broadcast(&p->go);
        pthread_mutex_unlock(&p->mu);
        p->outstanding = true;
        measure(p, b, 0);
    }
    p->fill ^= 1;
    Batch *next = &p->b[p->fill];
    memset(next->n, 0, p->nparts * sizeof *next->n);
    next->total = 0;
}

void thr_add(ThrPool *p, int linktype, const EqFrame *f, size_t n, const unsigned *part)
{
    for (size_t i = 0; i < n; i++) {
        Batch *b = &p->b[p->fill];
        if (b->total && (b->linktype != linktype || b->total == BATCH_FRAMES)) {
            hand_over(p);
            b = &p->b[p->fill];
        }
        b->linktype = linktype;
        b->f[part[i]][b->n[part[i]]++] = f[i];
        b->total++;
    }
    p->added += n;
}

void thr_quiesce(ThrPool *p)
{
    hand_over(p);
    wait_helpers(p);
}

void thr_counts(ThrPool *p, uint64_t *added, uint64_t *helped)
{
    thr_quiesce(p);
    *helped = 0;
    /* (the helpers are idle: wait_helpers() took the mutex after their
     * last count) */
    for (unsigned i = 0; i < p->nhelpers; i++)
        *helped += p->h[i].measured;
    *added = p->added;
}

static void free_batches(ThrPool *p)
{
    for (unsigned i = 0; i < 2; i++) {
        for (unsigned k = 0; p->b[i].f && k < p->nparts; k++)
            free(p->b[i].f[k]);
        free(p->b[i].f);
        free(p->b[i].n);
    }
}

/* Ends the helpers that were started and frees everything. */
static void stop_all(ThrPool *p)
{
    pthread_mutex_lock(&p->mu);
    p->quit = true;
    pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->mu);
    for (unsigned i = 0; i < p->nhelpers; i++)
        pthread_join(p->h[i].tid, NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->go);
    pthread_cond_destroy(&p->fin);
    free_batches(p);
    free(p->h);
    free(p);
}

ThrPool *thr_new(Engine *e, unsigned threads, unsigned partitions, char *err, size_t errlen)
{
    ThrPool *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    p->e = e;
    p->nthreads = threads;
    p->nparts = partitions;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->go, NULL);
    pthread_cond_init(&p->fin, NULL);
    bool ok = (p->h = calloc(threads, sizeof *p->h)) != NULL;
    for (unsigned i = 0; ok && i < 2; i++) {
        ok = (p->b[i].f = calloc(partitions, sizeof *p->b[i].f)) && (p->b[i].n = calloc(partitions, sizeof(size_t)));
        for (unsigned k = 0; ok && k < partitions; k++)
            ok = (p->b[i].f[k] = malloc(BATCH_FRAMES * sizeof(EqFrame))) != NULL;
    }
    if (!ok) {
        snprintf(err, errlen, "out of memory");
        stop_all(p);
        return NULL;
    }
    for (unsigned i = 1; i < threads; i++) {
        Helper *h = &p->h[p->nhelpers];
        h->pool = p;
        h->index = i;
        int rc = pthread_create(&h->tid, NULL, helper_main, h);
        if (rc != 0) {
            snprintf(err, errlen, "cannot start thread %u of %u: %s", i + 1, threads, strerror(rc));
            stop_all(p);
            return NULL;
        }
        p->nhelpers++;
    }
    return p;
}

void thr_free(ThrPool *p)
{
    if (!p)
        return;
    thr_quiesce(p);
    stop_all(p);
}
