/**
 * `outpost completion bash|zsh`: a completion script generated from the command tree itself, so
 * a new command or option completes without editing this file.
 */
import { Argument, Command } from "commander";
import { forEachCommand, leaf } from "../program.js";
import { out } from "../output.js";

/** Each command's path ("outpost agents ls") and the words that may follow it. */
export function completionTable(program: Command): [string, string[]][] {
  const rows: [string, string[]][] = [];
  const pathOf = (c: Command): string => (c.parent ? `${pathOf(c.parent)} ${c.name()}` : c.name());
  forEachCommand(program, (c) => {
    const words = [...c.commands.map((s) => s.name()), ...c.options.flatMap((o) => [o.long, o.short].filter((x): x is string => Boolean(x)))];
    rows.push([pathOf(c), [...new Set([...words, "--help"])]]);
  });
  return rows;
}

export function bashScript(program: Command): string {
  const rows = completionTable(program);
  const cases = rows.map(([p, w]) => `    "${p}") words="${w.join(" ")}" ;;`).join("\n");
  const known = rows.map(([p]) => `"${p}"`).join("|");
  return `# bash completion for outpost; load with: source <(outpost completion bash)
_outpost() {
  local cur w i cmdpath words
  cur="\${COMP_WORDS[COMP_CWORD]}"
  cmdpath="outpost"
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    [[ "$w" == -* ]] && continue
    case "$cmdpath $w" in
      ${known}) cmdpath="$cmdpath $w" ;;
    esac
  done
  case "$cmdpath" in
${cases}
    *) words="" ;;
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F _outpost outpost
`;
}

export function zshScript(program: Command): string {
  const rows = completionTable(program);
  const entries = rows.map(([p, w]) => `  "${p}" "${w.join(" ")}"`).join("\n");
  return `#compdef outpost
# zsh completion for outpost; load with: source <(outpost completion zsh), or save as _outpost in your $fpath
typeset -gA _outpost_tree
_outpost_tree=(
${entries}
)
_outpost() {
  local cmdpath="outpost" w
  for w in \${words[2,CURRENT-1]}; do
    [[ $w == -* ]] && continue
    (( \${+_outpost_tree[$cmdpath $w]} )) && cmdpath="$cmdpath $w"
  done
  local -a cands
  cands=(\${=_outpost_tree[$cmdpath]})
  compadd -- $cands
  _files
}
if (( $+functions[compdef] )); then compdef _outpost outpost; fi
`;
}

export function completionCommand(program: () => Command): Command {
  return leaf(
    new Command("completion").description("print a shell completion script").addArgument(new Argument("<shell>", "the shell").choices(["bash", "zsh"])),
    async (_run, shell: "bash" | "zsh") => out(shell === "bash" ? bashScript(program()) : zshScript(program())),
  );
}
