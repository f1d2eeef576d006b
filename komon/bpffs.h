/* bpffs.h - the BPF filesystem KOMon pins its probe in (docs/komon.md). */
#ifndef KOMON_BPFFS_H
#define KOMON_BPFFS_H

#include <stdbool.h>
#include <stddef.h>

#define KOMON_BPFFS_ROOT "/sys/fs/bpf"

/* Whether the BPF filesystem is mounted at KOMON_BPFFS_ROOT. */
bool komon_bpffs_mounted(void);
/* Mounts the BPF filesystem at KOMON_BPFFS_ROOT if it is not there, as
 * bpftool does (mount("bpf", root, "bpf", 0, "mode=0700"), creating the
 * folder if absent), and says so on stderr as "WHO: mounted ...".
 * 0: it was there; 1: mounted now; -1: it is not there and could not be
 * mounted, with the cause (errno) and the command to mount it in err. */
int komon_bpffs_ensure(const char *who, char *err, size_t errlen);

#endif
