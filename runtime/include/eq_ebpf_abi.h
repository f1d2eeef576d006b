/* eq_ebpf_abi.h - the contract between the kernel program equeryc writes
 * (program.bpf.c, built on eq_kern.h) and the user space that loads it and
 * reads its maps (runtime/ebpf_run.c, tests/ebpf/load_check.c), as
 * komon/komon.h is KOMon's: the names of its programs, maps and globals,
 * and the layout of what goes up the ring. docs/ebpf.md describes them.
 *
 * Included by the kernel program, by user space and by the generator
 * (codegen/ebpf_gen.c); it uses only <linux/types.h>. */
#ifndef EQ_EBPF_ABI_H
#define EQ_EBPF_ABI_H

#include <linux/types.h>

/* ---- names fixed for every program -----------------------------------------
 * Each is written once, here: an identifier in the kernel program, a
 * string (EQ_ABI_NAME) in user space. */
#define EQ_ABI_NAME(id) EQ_ABI_NAME_(id)
#define EQ_ABI_NAME_(id) #id

#define EQ_PROG_XDP eq_xdp           /* SEC("xdp"): equery-run --xdp, and captures (BPF_PROG_TEST_RUN) */
#define EQ_PROG_TC eq_tc             /* SEC("tc"): equery-run --tc */
#define EQ_SEEN eq_seen              /* PERCPU_ARRAY[1] of struct eq_seen_count: every frame the program saw */
#define EQ_FRAMES eq_frames          /* RINGBUF of struct eq_frame: frames for the queries measured in user space */
#define EQ_FRAMES_LOST eq_frames_lost /* PERCPU_ARRAY[1] of __u64: frames the ring had no room for */
/* parameters, const volatile in .rodata: set before the program is loaded */
#define EQ_MID eq_mid                /* __u32: the mid field (equery-run --mid) */
#define EQ_CLOCK_OFFSET eq_clock_offset /* __s64: CLOCK_REALTIME - CLOCK_MONOTONIC, ns */
#define EQ_TS_FROM_META eq_ts_from_meta /* __u8: 1: ts is the 8 bytes of XDP metadata before the frame */

/* ---- names of each query's globals and maps --------------------------------
 * printf formats, %s being the query's name. */
#define EQ_Q_ARMED "q_%s_armed"      /* __u32 in .bss: 1 while the query runs (user space arms it) */
#define EQ_Q_ACTIVE "q_%s_active"    /* __u32 in .bss: the buffer (0 or 1) packets go to */
#define EQ_Q_BUFFER "q_%s_%u"        /* buffer 0 or 1: the groups, per CPU (key, value: program.h's) */
#define EQ_Q_BUFFERS "q_%s_buffers"  /* ARRAY_OF_MAPS[2] over the two buffers */
#define EQ_Q_DROPPED "q_%s_dropped"  /* PERCPU_ARRAY[2] of __u64: packets whose new group did not fit, per buffer */

/* The file name the kernel program's #line directives give each query's
 * section (%s: the query's name): the verifier's log names it at each
 * instruction ("... @ program.bpf.c (query NAME):LINE"), so that a refusal
 * is traced to its query by what the log says, not by reading comments. */
#define EQ_QUERY_FILE "program.bpf.c (query %s)"
#define EQ_PROGRAM_FILE "program.bpf.c"

/* ---- layouts ------------------------------------------------------------------ */

struct eq_seen_count {
    __u64 frames, bytes;
};

/* A frame sent up the ring: this head, then cap_len bytes of the frame. */
struct eq_frame {
    __s64 ts;       /* ns since the epoch */
    __u32 wire_len; /* the frame's length */
    __u32 cap_len;  /* bytes in data */
    __u8 data[];
};

/* Bytes of a frame that go up (EQ_SNAP: every header the parser reads;
 * runtime/packet.c parses the copy), and the ring's size; both can be set
 * with -D when program.bpf.c is built. */
#ifndef EQ_SNAP
#define EQ_SNAP 256
#endif
#ifndef EQ_RING_BYTES
#define EQ_RING_BYTES (4 << 20)
#endif

/* The groups one query's window can hold, per buffer (like equery-run's
 * --max-groups): each group map's max_entries, set for a whole program
 * with -DEQ_MAX_GROUPS=N, or per map with bpf_map__set_max_entries(). */
#ifndef EQ_MAX_GROUPS
#define EQ_MAX_GROUPS 65536
#endif

#endif
