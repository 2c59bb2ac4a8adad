/**
 * The dashboard's one script and one stylesheet, as text compiled into the binary (no build step
 * and no file to find at run time). The script only adds to server-rendered pages: live updates
 * over one EventSource per page, log tails that resume at their byte offset, select-all for bulk
 * actions. Without it every page still reads and every form still posts.
 *
 * @example
 * ```ts
 * response.end(UI_SCRIPT); // served at /assets/ui.js?v=${ASSET_VERSION}
 * ```
 */
import { UI_SCRIPT } from "./ui_script.ts";
import { UI_STYLE } from "./ui_style.ts";

export { UI_SCRIPT, UI_STYLE };

/** Changes whenever an asset does: the `?v=` of their URLs, so a browser never keeps a stale one. */
export const ASSET_VERSION: string = _hash(UI_SCRIPT + UI_STYLE);

function _hash(text: string): string {
  // FNV-1a, 32 bits: enough to tell versions apart.
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(36);
}
