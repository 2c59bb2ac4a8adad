/**
 * HTML built by one escaping tagged template: every interpolated value is escaped unless it is
 * itself `Html` (from `html` or `raw`), and arrays are joined. No other way writes markup.
 *
 * @example
 * ```ts
 * const name = "<script>";
 * String(html`<b>${name}</b>`); // "<b>&lt;script&gt;</b>"
 * String(html`<ul>${["a", "b"].map((x) => html`<li>${x}</li>`)}</ul>`); // "<ul><li>a</li><li>b</li></ul>"
 * ```
 */

/** Markup that is already safe: it is inserted as it is. */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/** A value `html` accepts: text (escaped), numbers, markup, nothing, or a list of them. */
export type HtmlValue = string | number | boolean | null | undefined | Html | readonly HtmlValue[];

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/**
 * Text made safe inside an element or a quoted attribute.
 *
 * @example
 * ```ts
 * escapeHtml(`"a" & <b>`); // "&quot;a&quot; &amp; &lt;b&gt;"
 * ```
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char]);
}

/**
 * The tagged template: see the module's example. `null`, `undefined` and `false` print nothing.
 *
 * @example
 * ```ts
 * String(html`<a href="${"/tasks?q=a&b"}">x</a>`); // '<a href="/tasks?q=a&amp;b">x</a>'
 * ```
 */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let out = strings[0];
  values.forEach((value, i) => {
    out += _render(value) + strings[i + 1];
  });
  return new Html(out);
}

/**
 * Trusted markup inserted as it is (only for constants of this module's own making).
 *
 * @example
 * ```ts
 * String(html`<p>${raw("&nbsp;")}</p>`); // "<p>&nbsp;</p>"
 * ```
 */
export function raw(text: string): Html {
  return new Html(text);
}

function _render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return "";
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(_render).join("");
  return escapeHtml(String(value));
}
