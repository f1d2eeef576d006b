# bash completion for equeryc and equery-run (installed into
# share/bash-completion/completions by `cmake --install`).

_equery_run()
{
    local cur prev
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD-1]}
    case $prev in
        --pcap) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --db|--clickhouse-auth-file) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        -o|--output) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --iface|--xdp|--tc) COMPREPLY=($(compgen -W "$(ls /sys/class/net 2>/dev/null)" -- "$cur")); return ;;
        --format) COMPREPLY=($(compgen -W "table csv json none" -- "$cur")); return ;;
        --ipfix-file|--pcap-out) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --xdp-mode) COMPREPLY=($(compgen -W "native generic" -- "$cur")); return ;;
        --direction) COMPREPLY=($(compgen -W "ingress egress" -- "$cur")); return ;;
        --rotate) COMPREPLY=($(compgen -W "windows= size=" -- "$cur")); return ;;
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "--pcap --iface --capture-filter --snaplen --engine=portable --engine=dpdk
            --engine=ebpf --dpdk --workers --rx-queues --promisc --xdp --xdp-mode --tc --direction --format
            --output --rotate --db --db-retention --clickhouse --clickhouse-auth-file --quiet --no-progress --max-groups --max-instances --mid --partitions --verbose
            --ipfix --ipfix-file --ipfix-pen --ipfix-mtu --ipfix-template-refresh
            --ipfix-template-refresh-messages --pcap-out --help --version" -- "$cur"))
        return
    fi
    COMPREPLY=($(compgen -f -X '!*.eq' -- "$cur") $(compgen -d -- "$cur"))
}

_equeryc()
{
    local cur=${COMP_WORDS[COMP_CWORD]}
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "--check --emit=tokens --emit=ast --emit=ir --emit=c --emit=h --emit=bpf
            --emit=fields --emit=komon --output --target=c --target=dpdk --target=ebpf --target=komon
            --export=ipfix --ipfix-pen --help
            --version" -- "$cur"))
        return
    fi
    COMPREPLY=($(compgen -f -X '!*.eq' -- "$cur") $(compgen -d -- "$cur"))
}

complete -F _equery_run equery-run
complete -F _equeryc equeryc
