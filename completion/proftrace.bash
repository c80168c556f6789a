# proftrace.bash — bash completion of proftrace: its commands, each command's options as its
# --help lists them (so a new option completes with no change here), option values (directories,
# files, a choice such as --format=chrome|html), and after `record --` the command to run.
# Installed as share/bash-completion/completions/proftrace; `source` it to try it by hand.

# The commands, from `proftrace --help`'s Commands section (lines "  name   summary").
_proftrace_commands()
{
    "$1" --help 2>/dev/null | awk '/^Commands:/ {c = 1; next} /^[^ ]/ {c = 0} c && /^  [a-z]+  / {print $1}'
}

# The words of `proftrace CMD --help`'s option lines: "--name" or "--name=VALUE".
_proftrace_options()
{
    "$1" $2 --help 2>/dev/null |
        sed -n 's/^  \(-[a-zA-Z], \|    \)\(--[a-z][a-z-]*\(=[^ ]*\)\{0,1\}\).*/\2/p'
}

_proftrace()
{
    local prog=${COMP_WORDS[0]} cur=${COMP_WORDS[COMP_CWORD]} prev= cmd=${COMP_WORDS[1]} i
    COMPREPLY=()
    [ "$COMP_CWORD" -gt 0 ] && prev=${COMP_WORDS[COMP_CWORD-1]}
    if [ "$COMP_CWORD" -eq 1 ]; then
        COMPREPLY=($(compgen -W "$(_proftrace_commands "$prog") --help --version" -- "$cur"))
        return
    fi
    # record: what follows `--` is a command line of its own
    if [ "$cmd" = record ]; then
        for ((i = 2; i < COMP_CWORD; i++)); do
            [ "${COMP_WORDS[i]}" = -- ] || continue
            if [ $((i + 1)) -eq "$COMP_CWORD" ]; then
                COMPREPLY=($(compgen -c -- "$cur"))
            elif declare -F _command_offset >/dev/null; then
                _command_offset $((i + 1))
            else
                COMPREPLY=($(compgen -f -- "$cur"))
            fi
            return
        done
    fi
    # a value: --name=VALUE (bash splits at '='), or the word after an option that takes one
    local opt= spec
    if [ "$cur" = = ]; then
        opt=$prev cur=
    elif [ "$prev" = = ] && [ "$COMP_CWORD" -ge 3 ]; then
        opt=${COMP_WORDS[COMP_CWORD-2]}
    elif [[ $prev == -* ]]; then
        opt=$prev
    fi
    if [ -n "$opt" ]; then
        spec=$("$prog" "$cmd" --help 2>/dev/null | grep -E '^  (-[a-zA-Z], |    )--[a-z-]+=' |
               grep -E -- "^  ${opt}, |--${opt#--}=" | head -1 | sed 's/^[^=]*=\([^ ]*\).*/\1/')
        if [ -n "$spec" ]; then
            case $spec in
            *'|'*) COMPREPLY=($(compgen -W "${spec//|/ }" -- "$cur")) ;;
            DIR) COMPREPLY=($(compgen -d -- "$cur")) ;;
            *) COMPREPLY=($(compgen -f -- "$cur")) ;;
            esac
            return
        fi
    fi
    if [[ $cur == -* ]]; then
        local words
        words=$(_proftrace_options "$prog" "$cmd" | sed 's/=.*/=/')
        COMPREPLY=($(compgen -W "$words" -- "$cur"))
        [[ ${COMPREPLY[0]} == *= ]] && compopt -o nospace 2>/dev/null
        return
    fi
    case $cmd in
    record) COMPREPLY=($(compgen -c -- "$cur")) ;;
    core) COMPREPLY=($(compgen -f -- "$cur")) ;;
    help) COMPREPLY=($(compgen -W "$(_proftrace_commands "$prog")" -- "$cur")) ;;
    *) COMPREPLY=($(compgen -d -- "$cur")) ;;
    esac
}
complete -F _proftrace proftrace
