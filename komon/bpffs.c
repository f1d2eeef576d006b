/* bpffs.c - mounting the BPF filesystem when it is missing (bpffs.h). */
#include "bpffs.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#define BPF_FS_MAGIC_NUM 0xcafe4a11
#define MOUNT_HINT "mount it as root: mount -t bpf bpf " KOMON_BPFFS_ROOT

bool komon_bpffs_mounted(void)
{
    struct statfs fs;

    return statfs(KOMON_BPFFS_ROOT, &fs) == 0 && (unsigned long)fs.f_type == BPF_FS_MAGIC_NUM;
}

int komon_bpffs_ensure(const char *who, char *err, size_t errlen)
{
    if (komon_bpffs_mounted())
        return 0;
    if (mkdir(KOMON_BPFFS_ROOT, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "no BPF filesystem at %s, and cannot create that folder: %s (%s)", KOMON_BPFFS_ROOT,
                 strerror(errno), MOUNT_HINT);
        return -1;
    }
    if (mount("bpf", KOMON_BPFFS_ROOT, "bpf", 0, "mode=0700") != 0) {
        int e = errno;
        snprintf(err, errlen, "no BPF filesystem at %s, and mounting it failed: %s%s (%s)", KOMON_BPFFS_ROOT,
                 strerror(e), e == EPERM ? ", mounting needs root (CAP_SYS_ADMIN)" : "", MOUNT_HINT);
        return -1;
    }
    if (!komon_bpffs_mounted()) {
        snprintf(err, errlen, "mounted the BPF filesystem at %s, but it is not there afterwards (%s)",
                 KOMON_BPFFS_ROOT, MOUNT_HINT);
        return -1;
    }
    fprintf(stderr, "%s: mounted the BPF filesystem at %s\n", who ? who : "equery-komon", KOMON_BPFFS_ROOT);
    return 1;
}
