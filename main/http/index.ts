import { ApiHost, type ApiHostOptions } from '../api/host';
import { startServer, type BrowserServer, type ServerOptions } from './server';

export { startServer, type BrowserServer, type ServerOptions } from './server';

export interface BrowserModeOptions extends ApiHostOptions, ServerOptions {}

export interface BrowserMode {
  readonly host: ApiHost;
  readonly server: BrowserServer;
  /** `http://127.0.0.1:PORT/#code=CODE`: the first link (its code works once, for 60 s). */
  readonly url: string;
  /** Another link with a fresh code. */
  newLink(): string;
  /** Stops the server (ending event streams), then the API engine; idempotent. */
  close(): Promise<void>;
}

/** What `lifecycle-desk serve` runs: the API engine, then the HTTP server over it. */
export async function startBrowserMode(options: BrowserModeOptions): Promise<BrowserMode> {
  const host = await ApiHost.start(options);
  let server: BrowserServer;
  try {
    server = await startServer(host, options);
  } catch (err) {
    await host.close();
    throw err;
  }
  let closing: Promise<void> | undefined;
  return {
    host,
    server,
    url: server.url,
    newLink: () => server.newLink(),
    close: () =>
      (closing ??= (async () => {
        await server.close();
        await host.close();
      })()),
  };
}
