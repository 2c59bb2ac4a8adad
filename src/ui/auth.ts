/**
 * Who may use the dashboard. A browser signs in once with the token of the printed URL
 * (`/?token=…`) and gets a session cookie (HttpOnly, SameSite=Strict, named after the port, since
 * cookies ignore ports); every other request without that cookie is refused. A generated token
 * works once. A token given by the user (`--token`, BGT_UI_TOKEN) is a password: it works each
 * time, and the session and CSRF values derive from it, so a restarted server on the same port
 * keeps the browsers it had signed in.
 *
 * @example
 * ```ts
 * const auth = new UiAuth({ port: 8080 });
 * const session = auth.signIn(auth.urlToken); // the cookie's value; undefined for a wrong token
 * auth.isSession(session); // true
 * auth.isCsrf(session!, auth.csrfToken(session!)); // true
 * ```
 */
import { Buffer } from "node:buffer";
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** Options for {@linkcode UiAuth}. */
export interface UiAuthOptions {
  /** The listening port (part of the cookie's name). */
  port: number;
  /** A fixed token (a password) instead of a generated one-time token. */
  token?: string;
}

/** The dashboard's sign-in, session and CSRF checks. */
export class UiAuth {
  /** The token to print in the URL. */
  readonly urlToken: string;
  /** The session cookie's name. */
  readonly cookieName: string;
  readonly #secret: string;
  readonly #fixed: boolean;
  #spent = false;

  constructor(options: UiAuthOptions) {
    this.#fixed = options.token !== undefined;
    this.urlToken = options.token ?? randomBytes(24).toString("base64url");
    this.#secret = this.#fixed ? `fixed:${this.urlToken}` : randomBytes(32).toString("base64url");
    this.cookieName = `bgt_ui_${options.port}`;
  }

  /** The session cookie's value for a right token (a generated one only once), else undefined. */
  signIn(token: string): string | undefined {
    if (!_same(token, this.urlToken)) return undefined;
    if (!this.#fixed) {
      if (this.#spent) return undefined;
      this.#spent = true;
    }
    return this.#mac("session");
  }

  /** Whether a cookie value is this server's session. */
  isSession(value: string | undefined): boolean {
    return value !== undefined && _same(value, this.#mac("session"));
  }

  /** The CSRF token of the forms served to a session. */
  csrfToken(session: string): string {
    return this.#mac(`csrf:${session}`);
  }

  /** Whether a form's CSRF token belongs to this session. */
  isCsrf(session: string, token: string | undefined): boolean {
    return token !== undefined && _same(token, this.csrfToken(session));
  }

  /** The Set-Cookie header value that signs a browser in. */
  cookieHeader(session: string): string {
    return `${this.cookieName}=${session}; Path=/; HttpOnly; SameSite=Strict`;
  }

  /** The session cookie's value in a Cookie header, if any. */
  sessionOf(cookieHeader: string | undefined): string | undefined {
    for (const part of (cookieHeader ?? "").split(";")) {
      const [name, ...value] = part.trim().split("=");
      if (name === this.cookieName) return value.join("=");
    }
    return undefined;
  }

  #mac(what: string): string {
    return createHmac("sha256", this.#secret).update(what).digest("base64url");
  }
}

function _same(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
