#!/usr/bin/env bash
# The tools that pin mount the BPF filesystem themselves when it is missing
# and say so (docs/komon.md): starting with /sys/fs/bpf unmounted (the test
# unmounts it when nothing is pinned there, and mounts it back at the end),
# `equery-komon load` mounts it and says so in one line, and so does
# equery-run loading the probe for a KOMon program; a load that finds it
# mounted says nothing; where it cannot be mounted (no CAP_SYS_ADMIN in a
# user namespace) the error names the cause and the command.
source "$(dirname "$0")/lib.sh"
RUN="$BUILD/equery-run"
NOTE="mounted the BPF filesystem at /sys/fs/bpf"

# start from no BPF filesystem, leaving alone whatever someone else pinned
unmount_bpffs() {
    machine_bpffs_mounted || return 0
    local foreign
    foreign=$(machine_bpffs_foreign)
    [ -z "$foreign" ] || skip "something is pinned under /sys/fs/bpf, which this test would unmount: $(echo $foreign)"
    find /sys/fs/bpf -mindepth 1 -depth -type d -empty -delete 2>/dev/null || true
    umount /sys/fs/bpf || skip "cannot unmount /sys/fs/bpf"
}
unmount_bpffs
machine_bpffs_mounted && fail "/sys/fs/bpf still mounted after umount"

"$KOMON" load --port "$PORT" --cbsize 16 >"$TMP/out" 2>"$TMP/err" || fail "load without bpffs: $(cat "$TMP/err")"
machine_bpffs_mounted || fail "load succeeded but /sys/fs/bpf is not a BPF filesystem"
[ "$(cat "$TMP/err")" = "equery-komon: $NOTE" ] || fail "load: stderr '$(cat "$TMP/err")', want 'equery-komon: $NOTE'"
[ -e "/sys/fs/bpf/equery-komon/$PORT/link_ingress" ] || fail "load: nothing pinned under /sys/fs/bpf/equery-komon/$PORT"
ok "equery-komon load mounted bpffs and said so: $(cat "$TMP/err")"
"$KOMON" unload --port "$PORT" || fail "unload"

# mounted now: a second load says nothing about it
"$KOMON" load --port "$PORT" --cbsize 16 >/dev/null 2>"$TMP/err" || fail "load with bpffs: $(cat "$TMP/err")"
[ ! -s "$TMP/err" ] || fail "load with bpffs mounted wrote: $(cat "$TMP/err")"
"$KOMON" unload --port "$PORT" || fail "unload"
ok "a load that finds bpffs mounted says nothing"

# where it cannot mount (root in a user namespace of its own: no
# CAP_SYS_ADMIN over /sys), the error names the cause and the command
unmount_bpffs
if unshare -U -r -m true 2>/dev/null; then
    if unshare -U -r -m "$KOMON" load --port "$PORT" 2>"$TMP/err"; then fail "load in a user namespace succeeded"; fi
    grep -q "no BPF filesystem at /sys/fs/bpf, and mounting it failed: Operation not permitted" "$TMP/err" &&
        grep -q "mount -t bpf bpf /sys/fs/bpf" "$TMP/err" || fail "load that cannot mount: unclear error: $(cat "$TMP/err")"
    machine_bpffs_mounted && fail "/sys/fs/bpf mounted by a load that said it could not"
    ok "cannot mount: $(cat "$TMP/err")"
else
    echo "note: no user namespaces here; the refused mount is not tried"
fi

# equery-run with a KOMon program loads the probe through the same library
if [ -x "$RUN" ]; then
    cat >"$TMP/k.eq" <<EOQ
query vnf = Select(COUNT(*) AS samples, MAX(proc_time)) Where(dport == $PORT) Every(100ms);
EOQ
    "$RUN" "$TMP/k.eq" -o "$TMP/rows.csv" 2>"$TMP/err" &
    rpid=$!
    PIDS+=("$rpid")
    for _ in $(seq 1 100); do
        grep -q "probe attached" "$TMP/err" 2>/dev/null && break
        kill -0 "$rpid" 2>/dev/null || break
        sleep 0.05
    done
    kill -INT "$rpid" 2>/dev/null
    wait "$rpid" || fail "equery-run: $(cat "$TMP/err")"
    grep -qx "equery-run: $NOTE" "$TMP/err" || fail "equery-run did not say it mounted bpffs: $(cat "$TMP/err")"
    machine_bpffs_mounted || fail "equery-run: /sys/fs/bpf not mounted"
    [ ! -e "/sys/fs/bpf/equery-komon/$PORT" ] || fail "equery-run left /sys/fs/bpf/equery-komon/$PORT"
    ok "equery-run mounted bpffs and said so"
fi
# the EXIT trap (lib.sh) puts /sys/fs/bpf back as it was before the test
