/**
 * `bgt completions bash|zsh|fish`: a completion script generated from the command tree, so it
 * always lists the commands, aliases and options this binary has. Task ids, states and groups
 * are completed from the home by the hidden `bgt __complete ids|states|groups|shells`.
 *
 * @example
 * ```sh
 * bgt completions bash > ~/.local/share/bash-completion/completions/bgt
 * bgt completions fish > ~/.config/fish/completions/bgt.fish
 * ```
 */
import { Command } from "@commander-js/extra-typings";
import { bgtHome } from "../../store/home.ts";
import { storeExists } from "../../store/open_store.ts";
import { ALL_STATUSES } from "../../task/types.ts";
import { ALIASES } from "../aliases.ts";
import { parseChoice } from "../parse_options.ts";
import { withClient } from "../with_client.ts";
import { stdout } from "../../runtime/std_output.ts";

const SHELLS = ["bash", "zsh", "fish"] as const;

/** What the hidden `__complete` command lists. */
const VALUE_KINDS = ["ids", "states", "groups", "shells"] as const;
type ValueKind = typeof VALUE_KINDS[number];

/** How many of the newest task ids are offered. */
const MAX_IDS = 500;

/** A command as the scripts see it: its name, summary, options and subcommands. */
export interface CommandInfo {
  name: string;
  /** Its other names (aliases that stand for it alone). */
  aliases: string[];
  description: string;
  options: { flags: string[]; description: string; values?: ValueKind | "any" }[];
  subcommands: string[];
  /** What its words (not options) are: task ids, shells, or anything (files). */
  args?: ValueKind;
}

/** The `completions` command. */
export function completionsCommand() {
  return new Command("completions")
    .description("print a shell completion script (bash, zsh or fish)")
    .argument("<shell>", SHELLS.join(", "))
    .action((shellWord, _options, command) => {
      const shell = parseChoice("shell", shellWord, SHELLS);
      const root = command.parent as unknown as Command;
      const commands = _describe(root);
      const script = shell === "bash"
        ? bashScript(commands)
        : shell === "zsh"
        ? zshScript(commands)
        : fishScript(commands);
      stdout.write(script);
    });
}

/**
 * The hidden `__complete` command the scripts call: one candidate a line. Reads the home only
 * when it exists (never creates one, never starts a supervisor); prints nothing on any error.
 */
export function completeCommand() {
  return new Command("__complete")
    .argument("<kind>", VALUE_KINDS.join(", "))
    .action(async (kindWord) => {
      const kind = parseChoice("kind", kindWord, VALUE_KINDS);
      const values = await completionValues(kind).catch(() => []);
      stdout.write(values.map((value) => `${value}\n`).join(""));
    });
}

/**
 * The candidates of one kind: the newest task ids, every state, the groups in use or set, or the
 * shells.
 *
 * @example
 * ```ts
 * await completionValues("shells"); // ["bash", "zsh", "fish"]
 * ```
 */
export async function completionValues(kind: ValueKind): Promise<string[]> {
  if (kind === "states") return [...ALL_STATUSES];
  if (kind === "shells") return [...SHELLS];
  try {
    if (!storeExists(process.env, bgtHome(process.env))) return [];
  } catch {
    return []; // a BGT_STORE that cannot be used: nothing to complete
  }
  return await withClient(async (client) => {
    const tasks = await client.list({ limit: MAX_IDS });
    if (kind === "ids") return tasks.map((task) => String(task.id));
    const groups = new Set([
      ...(await client.groups()).map((group) => group.name),
      ...tasks.map((task) => task.group),
    ]);
    return [...groups].sort();
  });
}

function _describe(root: Command): CommandInfo[] {
  return (root.commands as unknown as Command[])
    .filter((command) => !command.name().startsWith("__"))
    .map((command) => {
      const name = command.name();
      const argNames = command.registeredArguments.map((argument) => argument.name());
      return {
        name,
        aliases: Object.keys(ALIASES).filter((alias) =>
          ALIASES[alias].length === 1 && ALIASES[alias][0] === name
        ),
        description: command.description(),
        options: command.options.map((option) => ({
          flags: [option.short, option.long].filter((flag): flag is string => Boolean(flag)),
          description: option.description,
          values: option.long === "--status"
            ? "states" as const
            : option.long === "--group"
            ? "groups" as const
            : option.required || option.optional
            ? "any" as const
            : undefined,
        })),
        subcommands: (command.commands as unknown as Command[]).map((sub) => sub.name()),
        args: name === "completions"
          ? "shells" as const
          : argNames[0] === "id" || argNames[0] === "ids"
          ? "ids" as const
          : undefined,
      };
    });
}

/**
 * The bash script: commands and aliases, then each command's options, subcommands, task ids,
 * states, groups or shells (from `bgt __complete`); files otherwise.
 */
export function bashScript(commands: readonly CommandInfo[]): string {
  const cases = commands.map((command) => {
    const words = [...command.subcommands, ...command.options.flatMap((o) => o.flags)];
    const valued = command.options.filter((o) => o.values).map((o) =>
      `        ${o.flags.join("|")}) kind=${o.values} ;;`
    );
    return [
      `    ${[command.name, ...command.aliases].join("|")}) words="${words.join(" ")}"` +
      ` subs="${command.subcommands.join(" ")}" kind=${command.args ?? ""}`,
      ...(valued.length ? [`      case "$prev" in`, ...valued, `      esac`] : []),
      `      ;;`,
    ].join("\n");
  }).join("\n");
  const names = commands.flatMap((c) => [c.name, ...c.aliases]);
  const follow = Object.keys(ALIASES).filter((alias) => ALIASES[alias].length > 1);
  return `# bash completion for bgt (generated by 'bgt completions bash')
_bgt() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}"
  local words="" subs="" kind=""
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "${
    [...names, ...follow].join(" ")
  } --help --version --color" -- "$cur"))
    return
  fi
  case "\${COMP_WORDS[1]}" in
${cases}
    ${follow.join("|")}) kind=ids ;;
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
    return
  fi
  if [ "$COMP_CWORD" -eq 2 ] && [ -n "$subs" ] && [ "$kind" != any ]; then
    COMPREPLY=($(compgen -W "$subs" -- "$cur"))
    return
  fi
  case "$kind" in
    ids|states|groups|shells)
      COMPREPLY=($(compgen -W "$("\${COMP_WORDS[0]}" __complete "$kind" 2>/dev/null)" -- "$cur"))
      ;;
  esac
}
complete -o default -F _bgt bgt
`;
}

/** The zsh script (`#compdef bgt`): commands with their summaries, options, then values. */
export function zshScript(commands: readonly CommandInfo[]): string {
  const quote = (text: string) => text.replace(/'/g, "'\\''").replace(/:/g, "\\:");
  const follow = Object.keys(ALIASES).filter((alias) => ALIASES[alias].length > 1);
  const list = [
    ...commands.flatMap((c) =>
      [c.name, ...c.aliases].map((name) => `    '${quote(name)}:${quote(c.description)}'`)
    ),
    ...follow.map((alias) => `    '${alias}:${quote(ALIASES[alias].join(" "))}'`),
  ].join("\n");
  const cases = commands.map((command) => {
    const entries = [
      ...command.subcommands.map((sub) => `'${quote(sub)}:subcommand'`),
      ...command.options.flatMap((o) =>
        o.flags.map((f) => `'${quote(f)}:${quote(o.description)}'`)
      ),
    ];
    const valued = command.options.filter((o) => o.values).map((o) =>
      `        ${o.flags.join("|")}) kind=${o.values} ;;`
    );
    return [
      `    ${[command.name, ...command.aliases].join("|")})`,
      `      entries=(${entries.join(" ")}) kind=${command.args ?? ""}`,
      ...(valued.length ? [`      case $words[CURRENT-1] in`, ...valued, `      esac`] : []),
      `      ;;`,
    ].join("\n");
  }).join("\n");
  return `#compdef bgt
# zsh completion for bgt (generated by 'bgt completions zsh')
_bgt() {
  local -a commands entries values
  local kind=""
  commands=(
${list}
  )
  if (( CURRENT == 2 )); then
    _describe 'command' commands
    return
  fi
  case $words[2] in
${cases}
    ${follow.join("|")}) kind=ids ;;
  esac
  if [[ $PREFIX == -* ]]; then
    _describe 'option' entries
    return
  fi
  case $kind in
    ids|states|groups|shells)
      values=(\${(f)"$($words[1] __complete $kind 2>/dev/null)"})
      compadd -a values
      return
      ;;
  esac
  if (( CURRENT == 3 )) && (( \${#entries} )) && [[ $kind != any ]]; then
    _describe 'option' entries
  fi
  _files
}
compdef _bgt bgt
`;
}

/** The fish script: one `complete` line per command, alias, subcommand, option and value kind. */
export function fishScript(commands: readonly CommandInfo[]): string {
  const quote = (text: string) => `'${text.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
  const values = (kind: string) => `-f -a '(__fish_bgt_values ${kind})'`;
  const lines = [
    "# fish completion for bgt (generated by 'bgt completions fish')",
    "function __fish_bgt_values",
    "    set -l bgt (commandline -opc)[1]",
    "    $bgt __complete $argv[1] 2>/dev/null",
    "end",
  ];
  const follow = Object.keys(ALIASES).filter((alias) => ALIASES[alias].length > 1);
  for (const alias of follow) {
    lines.push(
      `complete -c bgt -n __fish_use_subcommand -a ${alias} -d ${quote(ALIASES[alias].join(" "))}`,
      `complete -c bgt -n '__fish_seen_subcommand_from ${alias}' ${values("ids")}`,
    );
  }
  for (const command of commands) {
    const names = [command.name, ...command.aliases];
    for (const name of names) {
      lines.push(
        `complete -c bgt -n __fish_use_subcommand -a ${name} -d ${quote(command.description)}`,
      );
    }
    const seen = `'__fish_seen_subcommand_from ${names.join(" ")}'`;
    for (const name of names) {
      for (const sub of command.subcommands) {
        lines.push(`complete -c bgt -n '__fish_seen_subcommand_from ${name}' -a ${sub}`);
      }
    }
    if (command.args) lines.push(`complete -c bgt -n ${seen} ${values(command.args)}`);
    for (const option of command.options) {
      const flags = option.flags.map((flag) =>
        flag.startsWith("--") ? `-l ${flag.slice(2)}` : `-s ${flag.slice(1)}`
      );
      const takes = option.values === "any"
        ? " -r"
        : option.values
        ? ` -x -a '(__fish_bgt_values ${option.values})'`
        : "";
      lines.push(
        `complete -c bgt -n ${seen} ${flags.join(" ")}${takes} -d ${quote(option.description)}`,
      );
    }
  }
  return `${lines.join("\n")}\n`;
}
