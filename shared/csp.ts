/**
 * The one Content-Security-Policy of the renderer, whoever serves it: Electron's app:// scheme
 * (app/protocol.ts), the browser mode (main/http/headers.ts) and the page's own <meta>
 * (scripts/build-renderer.mjs). No inline or remote script, no eval, no plugins, no framing, no
 * form posts, no inline styles (React's style props go through the CSSOM, which CSP does not
 * restrict); the page talks to its own origin only.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-src 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
  "worker-src 'none'",
  "manifest-src 'none'",
].join('; ');

/** What a <meta> can carry: frame-ancestors is ignored there (the servers' headers send it). */
export const META_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.split('; ')
  .filter((d) => !d.startsWith('frame-ancestors'))
  .join('; ');
