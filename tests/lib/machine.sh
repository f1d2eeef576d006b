# machine.sh - sourced by the tests that need something of the machine:
# they record its state first, set up what they need (or let the tool do
# it), and put it back at exit, so that the next run starts from the same
# state. Used by tests/komon/lib.sh and tests/live/komon_query.sh.
#
#   machine_save_bpffs          record whether the BPF filesystem is mounted
#                               at /sys/fs/bpf (MACHINE_BPFFS_WAS=1|0)
#   machine_restore_bpffs       put it back: unmount it if it was not mounted
#                               before (only when nothing but the kernel's own
#                               entries and empty folders is left in it:
#                               whatever someone else pinned meanwhile stays),
#                               mount it if it was; non-zero and a message if
#                               it could not
#   machine_bpffs_mounted       whether it is mounted now
#   machine_bpffs_foreign       what is pinned there, other than the kernel's
#                               own entries (maps.debug, progs.debug) and
#                               empty folders; one a line
#   machine_check_netns NS...   non-zero and a message for each of the
#                               namespaces still listed by `ip netns list`

MACHINE_BPFFS=/sys/fs/bpf
MACHINE_BPFFS_WAS=

machine_bpffs_mounted() {
    [ "$(stat -f -c %t "$MACHINE_BPFFS" 2>/dev/null)" = cafe4a11 ]
}

machine_bpffs_foreign() {
    machine_bpffs_mounted || return 0
    find "$MACHINE_BPFFS" -mindepth 1 ! -type d 2>/dev/null | grep -vxE "$MACHINE_BPFFS/(maps|progs)\.debug" || true
}

machine_save_bpffs() {
    if machine_bpffs_mounted; then MACHINE_BPFFS_WAS=1; else MACHINE_BPFFS_WAS=0; fi
}

machine_restore_bpffs() {
    case "$MACHINE_BPFFS_WAS" in
    0)
        machine_bpffs_mounted || return 0
        local left
        left=$(machine_bpffs_foreign)
        if [ -n "$left" ]; then
            echo "machine: /sys/fs/bpf was not mounted before this test, but is left mounted: something is pinned there: $(echo $left)" >&2
            return 1
        fi
        # the empty folders our tools made (equery-komon/), then the mount
        find "$MACHINE_BPFFS" -mindepth 1 -depth -type d -empty -delete 2>/dev/null || true
        umount "$MACHINE_BPFFS" || { echo "machine: cannot unmount /sys/fs/bpf, which this test mounted" >&2; return 1; }
        ;;
    1)
        machine_bpffs_mounted && return 0
        mount -t bpf -o mode=0700 bpf "$MACHINE_BPFFS" ||
            { echo "machine: /sys/fs/bpf was mounted before this test and cannot be mounted again" >&2; return 1; }
        ;;
    esac
    return 0
}

machine_check_netns() {
    local ns bad=0 list
    list=$(ip netns list 2>/dev/null | awk '{ print $1 }')
    for ns in "$@"; do
        if echo "$list" | grep -qxF "$ns"; then
            echo "machine: network namespace $ns is still there after the test" >&2
            bad=1
        fi
    done
    return $bad
}
