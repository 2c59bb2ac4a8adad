/**
 * `bgt run -- true` until the client exits (the row committed, the supervisor woken), side by
 * side with task-spooler's `tsp true` and a compiled Bun hello-world, alternating runs.
 *
 * ```sh
 * npm run compile && bun scripts/bench/run_latency.ts [rounds=40]
 * ```
 * Prints a table, then one JSON line of results.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fmt, hasProgram, median, quantile, timeCommand } from "./_stats.ts";

const rounds = Number(process.argv[2] ?? 40);
const root = resolve(import.meta.dirname ?? ".", "../..");
const bgt = join(root, "dist/bgt");
const dir = mkdtempSync(join(tmpdir(), "bgt-bench-"));
const env = {
  ...process.env,
  BGT_HOME: join(dir, "home"),
  TS_SOCKET: join(dir, "tsp.sock"),
  TS_SAVELIST: "",
  TS_MAXFINISHED: "100000",
};

// A compiled hello-world with the same Bun, the floor of any compiled Bun CLI.
writeFileSync(join(dir, "hello.ts"), 'console.log("hello");');
spawnSync(process.execPath, [
  "build",
  "--compile",
  join(dir, "hello.ts"),
  "--outfile",
  join(dir, "hello"),
], { stdio: "ignore" });

const contenders: Record<string, string[]> = {
  "bgt run -- true": [bgt, "run", "--", "true"],
  "bun hello-world (compiled)": [join(dir, "hello")],
};
const tsp = hasProgram("tsp");
if (tsp) contenders["tsp true"] = ["tsp", "true"];

// Warm up: start bgt's supervisor and tsp's server, fill caches.
for (const argv of Object.values(contenders)) for (let i = 0; i < 3; i++) timeCommand(argv, env);

const samples: Record<string, number[]> = Object.fromEntries(
  Object.keys(contenders).map((k) => [k, []]),
);
for (let round = 0; round < rounds; round++) {
  for (const [name, argv] of Object.entries(contenders)) samples[name].push(timeCommand(argv, env));
}

spawnSync(bgt, ["daemon", "stop"], { env, stdio: "ignore" });
if (tsp) spawnSync("tsp", ["-K"], { env, stdio: "ignore" });
rmSync(dir, { recursive: true, force: true });

const bgtMedian = median(samples["bgt run -- true"]);
const helloMedian = median(samples["bun hello-world (compiled)"]);
const tspMedian = tsp ? median(samples["tsp true"]) : undefined;
console.log(`run latency, ${rounds} alternating rounds (ms):`);
for (const [name, values] of Object.entries(samples)) {
  console.log(
    `  ${name.padEnd(28)} median ${fmt(median(values))}  p10 ${fmt(quantile(values, 0.1))}  p90 ${
      fmt(quantile(values, 0.9))
    }`,
  );
}
console.log(`  bgt / hello-world = ${fmt(bgtMedian / helloMedian)}× (target ≤ 1.3×)`);
if (tspMedian) console.log(`  bgt / tsp         = ${fmt(bgtMedian / tspMedian)}× (target ≤ 5×)`);
else console.log("  task-spooler missing (apt-get install task-spooler): no comparison");
console.log(
  JSON.stringify({
    bench: "run_latency",
    rounds,
    bgtMs: bgtMedian,
    helloMs: helloMedian,
    tspMs: tspMedian ?? null,
  }),
);
