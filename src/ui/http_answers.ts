/**
 * How the dashboard answers over HTTP: every answer with its security headers (a CSP that allows
 * only this server's script and stylesheet, no framing, no Referer, no sniffing), text, assets,
 * redirects, the sign-in page, and form bodies read with a size limit.
 *
 * @example
 * ```ts
 * sendText(response, 403, "text/plain; charset=utf-8", "bgt ui is read-only\n");
 * redirect(response, "/tasks?msg=killed+%234");
 * ```
 */
import { Buffer } from "node:buffer";
import type { IncomingMessage, ServerResponse } from "node:http";
import { html } from "./html.ts";

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join("; ");

const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy": CSP,
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
};

/** Most bytes of a form post. */
export const MAX_FORM_BYTES = 1024 * 1024;

/** Sets the security headers, the content type and `no-store`. */
export function setHeaders(response: ServerResponse, type: string): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.setHeader(name, value);
  response.setHeader("content-type", type);
  response.setHeader("cache-control", "no-store");
}

/** Answers with a status and a text body. */
export function sendText(
  response: ServerResponse,
  status: number,
  type: string,
  body: string,
): void {
  response.statusCode = status;
  setHeaders(response, type);
  response.end(body);
}

/** Answers with the script or stylesheet, cacheable (their URLs carry a version). */
export function sendAsset(response: ServerResponse, type: string, body: string): void {
  response.statusCode = 200;
  setHeaders(response, type);
  // Versioned URLs (?v=hash): a browser may keep them.
  response.setHeader("cache-control", "private, max-age=31536000, immutable");
  response.end(body);
}

/** 303 See Other to a path of this server. */
export function redirect(response: ServerResponse, location: string): void {
  response.statusCode = 303;
  setHeaders(response, "text/plain; charset=utf-8");
  response.setHeader("location", location);
  response.end(`see ${location}\n`);
}

/** The host:port of an Origin header ("" when it is not a URL). */
export function hostOf(origin: string): string {
  try {
    return new URL(origin).host;
  } catch {
    return "";
  }
}

/** The page a browser without a session sees (with the reason). */
export function deniedPage(message: string): string {
  return String(html`
    <!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8">
        <title>bgt ui: sign in</title>
      </head>
      <body>
        <h1>bgt ui</h1>
        <p>${message}</p>
      </body>
    </html>
  `);
}

/** A request's body as text; throws past {@linkcode MAX_FORM_BYTES}. */
export async function readForm(request: IncomingMessage): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Uint8Array).length;
    if (size > MAX_FORM_BYTES) throw new Error(`form larger than ${MAX_FORM_BYTES} bytes`);
    chunks.push(chunk as Uint8Array);
  }
  return new TextDecoder().decode(Buffer.concat(chunks));
}
