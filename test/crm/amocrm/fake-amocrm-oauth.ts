import type { Context } from "hono";
import { oauthProblem, problem, REVOKED_BODY } from "./fake-amocrm-wire.js";

export const FAKE_AMO_CLIENT_ID = "9b4f1e2c-5d3a-4e7b-8c1d-2f6a0b9e7d31";
export const FAKE_AMO_CLIENT_SECRET = "fakeAmoSecret0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ012345";

export interface FakeAmoOAuthOptions {
  clientId?: string;
  clientSecret?: string;
  /** when set, token requests with another redirect_uri are refused (1.4 "must match exactly") */
  redirectUri?: string;
  /** expires_in of issued access tokens (1.1: 86400) */
  expiresIn?: number;
}

const rand = () => Math.random().toString(36).slice(2, 12);

/**
 * The OAuth side of a fake amoCRM account: `/oauth2/access_token` with single-use codes and
 * rotating single-use refresh tokens (reference/amocrm.md 1.1/1.4), and the Bearer check the
 * REST API makes. FakeAmoCrm (fake-amocrm.ts) adds the account and its REST API.
 */
export class FakeAmoOAuth {
  readonly clientId: string;
  readonly clientSecret: string;
  /** bodies of every `/oauth2/access_token` request */
  readonly tokenRequests: Array<Record<string, unknown>> = [];
  /** access token -> expiry (ms, fake's own time) */
  readonly accessTokens = new Map<string, number>();
  readonly liveRefreshTokens = new Set<string>();
  readonly spentRefreshTokens = new Set<string>();
  /** slows refreshes so that concurrent callers overlap */
  refreshDelayMs = 0;
  private readonly codes = new Map<string, { used: boolean }>();
  private readonly oauthOpts: FakeAmoOAuthOptions;

  constructor(opts: FakeAmoOAuthOptions) {
    this.oauthOpts = opts;
    this.clientId = opts.clientId ?? FAKE_AMO_CLIENT_ID;
    this.clientSecret = opts.clientSecret ?? FAKE_AMO_CLIENT_SECRET;
  }

  /** An authorization code (1.3), single use. */
  issueCode(): string {
    const code = `def50200${rand()}${rand()}`;
    this.codes.set(code, { used: false });
    return code;
  }

  /** A token pair as the code exchange would give it, for tests that seed a row directly. */
  issuePair(): { accessToken: string; refreshToken: string; expiresIn: number } {
    const expiresIn = this.oauthOpts.expiresIn ?? 86_400;
    const accessToken = `eyJ0eXAiOiJKV1Qi.${rand()}${rand()}`;
    const refreshToken = `def50200${rand()}${rand()}`;
    this.accessTokens.set(accessToken, Date.now() + expiresIn * 1000);
    this.liveRefreshTokens.add(refreshToken);
    return { accessToken, refreshToken, expiresIn };
  }

  /** Every access token issued so far stops working (as after 24 h). */
  expireAccessTokens(): void {
    for (const token of this.accessTokens.keys()) this.accessTokens.set(token, 0);
  }

  /** The integration is switched off on the account side: every token dies (1.4 "revoked → 401"). */
  revokeAll(): void {
    this.accessTokens.clear();
    for (const t of this.liveRefreshTokens) this.spentRefreshTokens.add(t);
    this.liveRefreshTokens.clear();
  }

  /** `/oauth2/access_token` requests with the refresh grant. */
  refreshRequests(): Array<Record<string, unknown>> {
    return this.tokenRequests.filter((r) => r.grant_type === "refresh_token");
  }

  /** Whether an `Authorization` header carries a Bearer token that is issued and not expired. */
  protected bearerIsLive(authorization: string): boolean {
    const token = /^Bearer (.+)$/.exec(authorization)?.[1];
    const expiry = token ? this.accessTokens.get(token) : undefined;
    return expiry !== undefined && expiry > Date.now();
  }

  /** `POST /oauth2/access_token` (1.4): both grants, JSON body. */
  protected async token(c: Context) {
    const body = (await c.req.json().catch(() => undefined)) as Record<string, unknown> | undefined;
    if (!body || typeof body !== "object") return c.json(problem(400, "Bad Request", "JSON body expected"), 400);
    this.tokenRequests.push(body);
    const oauthError = (status: number, hint: string) => c.json(oauthProblem(status, hint), status as 400);
    if (body.client_id !== this.clientId || body.client_secret !== this.clientSecret) return oauthError(401, "Client authentication failed");
    if (this.oauthOpts.redirectUri !== undefined && body.redirect_uri !== this.oauthOpts.redirectUri) return oauthError(400, "Redirect URI mismatch");
    if (body.grant_type === "authorization_code") {
      const code = typeof body.code === "string" ? this.codes.get(body.code) : undefined;
      if (!code || code.used) return oauthError(400, "Authorization code has been revoked");
      code.used = true;
    } else if (body.grant_type === "refresh_token") {
      if (this.refreshDelayMs) await new Promise((r) => setTimeout(r, this.refreshDelayMs));
      const token = typeof body.refresh_token === "string" ? body.refresh_token : "";
      if (!this.liveRefreshTokens.has(token)) return c.json(REVOKED_BODY, 401);
      // 1.1: single use, each refresh returns a new pair and the old refresh token dies
      this.liveRefreshTokens.delete(token);
      this.spentRefreshTokens.add(token);
    } else {
      return oauthError(400, "Unsupported grant type");
    }
    const pair = this.issuePair();
    return c.json({
      token_type: "Bearer",
      expires_in: pair.expiresIn,
      server_time: Math.floor(Date.now() / 1000),
      access_token: pair.accessToken,
      refresh_token: pair.refreshToken,
    });
  }
}
