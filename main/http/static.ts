import fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { contentType } from '../../shared/content-types';
import { confinePath, openConfined, sourceMapsWanted } from './confine';
import { sendText } from './headers';

// Serves the renderer build (dist/renderer/): index.html for `/`, assets with their content
// types. Which files may be served is confine.ts's rule, the same as app://'s.

/** dist/main/http/static.js → dist/renderer/ */
export const DEFAULT_STATIC_DIR = path.join(__dirname, '..', '..', 'renderer');

/** esbuild/vite style content hashes (`index-3FJ2KQ7A.js`, `app.1a2b3c4d.css`): cacheable forever. */
const HASHED = /[.-][A-Za-z0-9_]{8,}\.[a-z0-9]+$/;

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Lifecycle Desk</title></head>
<body><p>renderer not built: run npm run build</p></body></html>
`;

export { contentType };

export interface StaticHandler {
  (req: IncomingMessage, res: ServerResponse, rawPathname: string): Promise<void>;
}

export function createStaticHandler(dir: string = DEFAULT_STATIC_DIR): StaticHandler {
  const root = path.resolve(dir);
  const options = { sourceMaps: sourceMapsWanted() };
  return async (req, res, rawPathname) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendText(res, 405, 'method not allowed', { Allow: 'GET, HEAD' });
      return;
    }
    const resolved = confinePath(root, rawPathname, options);
    if (!('file' in resolved)) {
      sendText(res, resolved.status, resolved.status === 404 ? 'not found' : 'path not allowed');
      return;
    }
    const isIndex = path.relative(root, resolved.file) === 'index.html';
    const found = await openConfined(root, resolved.file);
    if (!found) {
      if (isIndex) {
        const body = NOT_BUILT_PAGE;
        res.writeHead(200, {
          'Content-Type': 'text/html; charset=utf-8',
          'Content-Length': Buffer.byteLength(body),
          'Cache-Control': 'no-store',
        });
        res.end(req.method === 'HEAD' ? undefined : body);
      } else {
        sendText(res, 404, 'not found');
      }
      return;
    }
    const etag = `W/"${found.size.toString(36)}-${Math.floor(found.mtimeMs).toString(36)}"`;
    const cacheControl = !isIndex && HASHED.test(found.file) ? 'public, max-age=31536000, immutable' : 'no-cache';
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, { ETag: etag, 'Cache-Control': cacheControl });
      res.end();
      return;
    }
    res.writeHead(200, {
      'Content-Type': contentType(found.file),
      'Content-Length': found.size,
      'Cache-Control': cacheControl,
      ETag: etag,
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const stream = fs.createReadStream(found.file);
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  };
}
