package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"
)

// completionCommand prints a shell completion script (`ovi completion
// bash|zsh|fish`). The bash and zsh scripts ask ovi itself for the words
// (urfave/cli's --generate-bash-completion), so they follow new commands
// and flags without being regenerated; fish gets urfave/cli's static script.
func completionCommand() *cli.Command {
	return &cli.Command{
		Name:      "completion",
		Usage:     "print a shell completion script (bash, zsh or fish)",
		UsageText: "ovi completion bash|zsh|fish",
		Description: `Examples:
   source <(ovi completion bash)                       # this bash session
   ovi completion bash > /etc/bash_completion.d/ovi   # every bash session
   ovi completion zsh > "${fpath[1]}/_ovi"             # zsh (then restart it)
   ovi completion fish > ~/.config/fish/completions/ovi.fish`,
		Action: completionAction,
	}
}

// errBadShell is wrapped when `ovi completion` names no supported shell.
var errBadShell = errors.New("unsupported shell")

func completionAction(c *cli.Context) error {
	if c.NArg() != 1 {
		return newCLIError("completion", errors.New("want one shell: bash, zsh or fish"), "e.g. source <(ovi completion bash)")
	}
	shell := strings.ToLower(strings.TrimSpace(c.Args().First()))
	script, err := completionScript(c.App, shell)
	if err != nil {
		return err
	}
	if _, err := io.WriteString(c.App.Writer, script); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

// completionScript returns the script for shell.
func completionScript(app *cli.App, shell string) (string, error) {
	switch shell {
	case "bash":
		return bashCompletion, nil
	case "zsh":
		return zshCompletion, nil
	case "fish":
		script, err := app.ToFishCompletion()
		if err != nil {
			return "", fmt.Errorf("fish completion: %w", err)
		}
		return script, nil
	}
	return "", newCLIError(fmt.Sprintf("completion %q", shell), errBadShell, "want bash, zsh or fish")
}

// bashCompletion is urfave/cli's bash_autocomplete for the ovi program.
const bashCompletion = `# bash completion for ovi: source <(ovi completion bash)
_ovi_init_completion() {
  COMPREPLY=()
  _get_comp_words_by_ref "$@" cur prev words cword
}

_ovi_bash_autocomplete() {
  if [[ "${COMP_WORDS[0]}" != "source" ]]; then
    local cur opts base words
    COMPREPLY=()
    cur="${COMP_WORDS[COMP_CWORD]}"
    if declare -F _init_completion >/dev/null 2>&1; then
      _init_completion -n "=:" || return
    else
      _ovi_init_completion -n "=:" || return
    fi
    words=("${words[@]:0:$cword}")
    if [[ "$cur" == "-"* ]]; then
      requestComp="${words[*]} ${cur} --generate-bash-completion"
    else
      requestComp="${words[*]} --generate-bash-completion"
    fi
    opts=$(eval "${requestComp}" 2>/dev/null)
    COMPREPLY=($(compgen -W "${opts}" -- ${cur}))
    return 0
  fi
}

complete -o bashdefault -o default -o nospace -F _ovi_bash_autocomplete ovi
`

// zshCompletion is urfave/cli's zsh_autocomplete for the ovi program.
const zshCompletion = `#compdef ovi
# zsh completion for ovi: ovi completion zsh > "${fpath[1]}/_ovi"

_ovi_zsh_autocomplete() {
  local -a opts
  local cur
  cur=${words[-1]}
  if [[ "$cur" == "-"* ]]; then
    opts=("${(@f)$(${words[@]:0:#words[@]-1} ${cur} --generate-bash-completion)}")
  else
    opts=("${(@f)$(${words[@]:0:#words[@]-1} --generate-bash-completion)}")
  fi

  if [[ "${opts[1]}" != "" ]]; then
    _describe 'values' opts
  else
    _files
  fi
}

compdef _ovi_zsh_autocomplete ovi
`
