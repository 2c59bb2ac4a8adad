/**
 * Times commands side by side: each round runs every command once, in turn, so that two
 * builds (and a floor such as a compiled hello-world) see the same moment of a noisy machine;
 * prints each command's median over the rounds (two warm-up rounds are not counted). Commands
 * are separated by `::`; they run in this process's environment (set BGT_HOME for a home).
 *
 * ```sh
 * BGT_HOME=/tmp/big npx bun scripts/bench/side_by_side.ts 30 :: /tmp/bgt-before ls :: dist/bgt ls :: /tmp/hello
 * # 38.77 ms  /tmp/bgt-before ls
 * # 28.45 ms  dist/bgt ls
 * # 7.64 ms  /tmp/hello
 * ```
 */
import { median, timeCommand } from "./_stats.ts";

const [roundsWord, ...rest] = process.argv.slice(2);
const rounds = Number(roundsWord);
const commands: string[][] = [];
for (const word of rest) {
  if (word === "::") commands.push([]);
  else commands.at(-1)?.push(word);
}
if (!(rounds > 0) || commands.length === 0 || commands.some((argv) => argv.length === 0)) {
  console.error("usage: side_by_side.ts ROUNDS :: COMMAND [ARGS…] :: COMMAND [ARGS…] …");
  process.exit(2);
}
const samples = commands.map(() => [] as number[]);
for (let round = 0; round < rounds + 2; round++) {
  commands.forEach((argv, i) => {
    const ms = timeCommand(argv, process.env);
    if (round >= 2) samples[i].push(ms);
  });
}
commands.forEach((argv, i) =>
  console.log(`${median(samples[i]).toFixed(2)} ms  ${argv.join(" ")}`)
);
