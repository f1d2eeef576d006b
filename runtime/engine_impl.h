/* engine_impl.h - the engine's own state, shared by its two files:
 * engine.c (instances, windows, events, triggers) and intake.c (frames and
 * samples in). Not for sources: they see engine.h only. */
#ifndef EQ_ENGINE_IMPL_H
#define EQ_ENGINE_IMPL_H

#include "engine.h"
#include "tcp_track.h"

typedef enum { I_PENDING, I_RUNNING, I_DONE } InstState;

/* What a query measures: which input reaches it (intake.c). */
typedef enum {
    Q_FRAMES,    /* frames, grouped (aggregate) */
    Q_PACKETS,   /* frames, one row per packet */
    Q_SAMPLES,   /* KOMon samples only */
    Q_EXTERNAL,  /* nothing: measured outside the engine (EngineHooks.external) */
} QueryInput;

typedef struct {
    EqInstance in; /* what the generated code sees */
    Engine *eng;
    unsigned query, id;
    EqValue *params;
    char *started_by;
    InstState state;
    QueryInput input;     /* e->input[query], beside state: read for every packet */
    int64_t start, stop; /* stop: INT64_MAX without Within */
    int64_t wstart, wend; /* current window; wend INT64_MAX without Every */
    uint8_t *scratch;     /* ENGINE_BURST lookup records (grouped queries) */
    uint64_t looked;      /* the burst whose lookups are in scratch */
    uint64_t rows_out;    /* rows printed so far (srcid) */
    EqInstance *part;     /* with partitions: the partial tables packets update */
    unsigned silent_shown; /* windows of the current silence closed as usual */
} Inst;

enum { PARAM_NONE = -2, PARAM_DIRECT = -1 };

typedef struct {
    bool fired;
    int64_t at;     /* the close that set the state */
    EqValue *rows;  /* the rows that fired, each its columns then the params of the instance that made it */
    size_t nrows, cap;
} EventState;

struct Engine {
    EngineConfig cfg;
    const Manifest *m;
    const EqProgramDesc *prog;
    EngineStats st;
    const char *error;  /* engine_error() */
    Inst **inst;
    size_t ninst, capinst;
    unsigned *next_id;  /* per query */
    unsigned *running;  /* per query: instances not done */
    QueryInput *input;  /* per query */
    bool *external;     /* per query: input == Q_EXTERNAL (what the window code asks) */
    const EngineHooks *hk;
    bool count_frames;  /* the engine counts packets and bytes (no hook does) */
    unsigned needs;     /* engine_needs() */
    EventState *ev;
    bool *fired;        /* per event, as the trigger functions read it */
    unsigned **param_event; /* per query, per param: event index */
    unsigned **param_col;   /* per query, per param: column index in the event's query */
    int **param_src;        /* per query, [param * nevents + event]: how a firing of that event supplies
                               the value: PARAM_NONE, PARAM_DIRECT (its row), or the index of the carried
                               parameter of the instance whose row fired it (up the chain) */
    unsigned *shown;        /* per query: parameters that are not carried (they come first) */
    unsigned *ev_stride;    /* per event: values kept per firing row (columns, then the instance's params) */
    EqType **types;     /* per query, per column */
    EqDirs **dirs;      /* per query: the direction memory of a bidirectional one, else NULL */
    TcpTrack **tcp;     /* one sequence tracker per partition */
    unsigned nparts;
    uint8_t **wscratch; /* per partition: lookup records of a worker's burst */
    EngineStats *wst;   /* per partition: what a worker counted itself (INTAKE_WORKER, count) */
    EngineStats sum;    /* engine_stats(): st plus the workers' */
    bool launched, finished;
    int64_t now;
    int64_t last_input; /* the time of the latest frame or sample (INT64_MIN: none yet) */
    int64_t launch_at;  /* a box: the centre's launch time (INT64_MIN: the first input's) */
    bool wrote;         /* a window closed since the last flush */
    int64_t next_due;   /* no boundary of any instance comes before this */
    const EqFrame *cur; /* the frame being measured (packet rows carry it), or NULL
                           (a KOMon sample, between frames) */
    int cur_link;       /* its link type */
    uint64_t bursts;    /* bursts measured so far */
    uint64_t frames;    /* frames measured so far (OutFrame.seq) */
    /* rows of the window being closed */
    EqValue *rows;
    size_t nrows, caprows; /* caprows: capacity in values (rows of ncols) */
    unsigned ncols;
};

/* engine.c: allocation that records a shortage in e->error instead of
 * ending the process; NULL then. */
void *eng_calloc(Engine *e, size_t n, size_t size);
/* engine.c: starts the program's untriggered queries at the first input's time. */
void eng_launch(Engine *e, int64_t t);

#endif
