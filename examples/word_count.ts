/**
 * A module task for the demo: counts the words of a text, reporting progress as it goes.
 *
 * ```sh
 * bgt run examples/word_count.ts "the quick brown fox" --top 2
 * ```
 */
import { context } from "bgt";

export default function wordCount(text: string, options: { top?: number } = {}) {
  const words = text.toLowerCase().split(/\W+/).filter(Boolean);
  const counts = new Map<string, number>();
  for (const [i, word] of words.entries()) {
    counts.set(word, (counts.get(word) ?? 0) + 1);
    context.progress((i + 1) / words.length, `word ${i + 1} of ${words.length}`);
  }
  console.log(`task ${context.id}: ${words.length} words, ${counts.size} distinct`);
  const top = [...counts].sort((a, b) => b[1] - a[1]).slice(0, options.top ?? 3);
  return Object.fromEntries(top);
}
