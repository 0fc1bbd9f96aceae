import fs from 'node:fs';
import { protocol, type Session } from 'electron';
import { APP_SCHEME, CONTENT_SECURITY_POLICY, mimeType, resolveRendererFile } from './policy';

/**
 * Must run before `app.whenReady()`. `standard` gives app://desk a real origin (relative URLs,
 * same-origin checks), `secure` makes it a secure context like https. It deliberately does
 * not get `bypassCSP`, and service workers stay off.
 */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    {
      scheme: APP_SCHEME,
      privileges: {
        standard: true,
        secure: true,
        supportFetchAPI: true,
        corsEnabled: true,
        allowServiceWorkers: false,
      },
    },
  ]);
}

const SECURITY_HEADERS = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'cross-origin-opener-policy': 'same-origin',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

/** Serves the files of `rootDir` (dist/renderer) read-only on app://desk/, and nothing else. */
export function serveRenderer(ses: Session, rootDir: string): void {
  ses.protocol.handle(APP_SCHEME, async (request) => {
    const file = request.method === 'GET' ? await resolveRendererFile(rootDir, request.url) : null;
    if (file) {
      try {
        const body = await fs.promises.readFile(file);
        return new Response(new Uint8Array(body), {
          status: 200,
          headers: { ...SECURITY_HEADERS, 'content-type': mimeType(file) },
        });
      } catch {
        // missing or unreadable: answer 404 below
      }
    }
    return new Response('not found', {
      status: 404,
      headers: { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8' },
    });
  });
}
