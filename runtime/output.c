/* output.c - the fan-out of a run's records to its sinks; see output.h. */
#include "output.h"

#include <stdlib.h>

struct Output {
    const Manifest *m;
    struct {
        const OutSinkOps *ops;
        void *ctx;
    } sink[OUT_MAX_SINKS];
    unsigned n;
};

Output *out_new(FILE *f, OutFormat fmt, const Manifest *m)
{
    Output *o = calloc(1, sizeof *o);
    if (!o)
        return NULL;
    o->m = m;
    if (f && !out_add(o, &text_sink_ops, text_sink_new(f, fmt, m))) {
        free(o);
        return NULL;
    }
    return o;
}

bool out_add(Output *o, const OutSinkOps *ops, void *ctx)
{
    if (!ctx || o->n == OUT_MAX_SINKS)
        return false;
    o->sink[o->n].ops = ops;
    o->sink[o->n].ctx = ctx;
    o->n++;
    return true;
}

bool out_free(Output *o)
{
    if (!o)
        return true;
    bool ok = true;
    for (unsigned i = 0; i < o->n; i++)
        if (o->sink[i].ops->close && !o->sink[i].ops->close(o->sink[i].ctx))
            ok = false;
    free(o);
    return ok;
}

/* Calls `fn` of every sink that has it, with the arguments after ctx. */
#define EACH(fn, ...)                                                                                              \
    for (unsigned i_ = 0; i_ < o->n; i_++)                                                                           \
        if (o->sink[i_].ops->fn)                                                                                     \
    o->sink[i_].ops->fn(o->sink[i_].ctx, __VA_ARGS__)

void out_window(Output *o, const OutSource *src, int64_t start, int64_t end, bool partial, const EqValue *const *rows,
                size_t n)
{
    EACH(window, src, start, end, partial, rows, n);
}

void out_gap(Output *o, const OutSource *src, int64_t start, int64_t end, uint64_t n) { EACH(gap, src, start, end, n); }

void out_packet_row(Output *o, const OutSource *src, int64_t ts, const EqValue *row, const OutFrame *frame)
{
    EACH(packet_row, src, ts, row, frame);
}

void out_event(Output *o, unsigned ev, const OutSource *src, int64_t t, const EqValue *row)
{
    EACH(event, ev, src, t, row);
}

void out_start(Output *o, const OutSource *src, int64_t t, const char *trigger, const EqValue *params, const char *note)
{
    EACH(start, src, t, trigger, params, note);
}

void out_stop(Output *o, const OutSource *src, int64_t t) { EACH(stop, src, t); }

void out_flush(Output *o)
{
    for (unsigned i = 0; i < o->n; i++)
        if (o->sink[i].ops->flush)
            o->sink[i].ops->flush(o->sink[i].ctx);
}

void out_finish(Output *o, const struct EngineStats *st) { EACH(finish, st); }
