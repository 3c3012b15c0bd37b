package ctl

import (
	"io"
	"strings"
)

// completion prints a completion script; connector names are completed from the worker.
func completion(w io.Writer, shell string) error {
	cmds := strings.Join(commands, " ")
	script := `# connectd completion (bash); zsh: autoload -U bashcompinit && bashcompinit first
_connectd() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
  if [[ $COMP_CWORD -eq 1 ]]; then
    COMPREPLY=($(compgen -W "ctl tail standalone distributed version docs help" -- "$cur")); return
  fi
  if [[ ${COMP_WORDS[1]} == ctl ]]; then
    case $prev in
      ctl) COMPREPLY=($(compgen -W "` + cmds + `" -- "$cur")); return;;
      -o) COMPREPLY=($(compgen -W "table json" -- "$cur")); return;;
      status|pause|resume|stop|restart|offsets|history|set-offset)
        COMPREPLY=($(compgen -W "$(connectd ctl -o json list 2>/dev/null | sed -n 's/^    "name": "\(.*\)",$/\1/p')" -- "$cur")); return;;
    esac
    [[ $cur == -* ]] && COMPREPLY=($(compgen -W "--url --user --cacert -o --file --pos --gtids --lsn --as-of --resume --no-server-check" -- "$cur"))
  fi
}
complete -F _connectd connectd
`
	switch shell {
	case "bash":
		_, err := io.WriteString(w, script)
		return err
	case "zsh":
		_, err := io.WriteString(w, "autoload -U +X bashcompinit && bashcompinit\n"+script)
		return err
	}
	return fail(ExitUsage, "completion for %q: only bash and zsh", shell)
}
