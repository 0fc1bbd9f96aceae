import fs from 'node:fs';
import { once } from 'node:events';

// Writing an export's chunks to a file (Electron's save dialog, the CLI's --out) or a stream
// (the CLI's stdout), with backpressure: the next page is read only once the last was taken.

/** Writes every chunk to `out` (not ended: stdout stays open). */
export async function writeChunks(chunks: AsyncIterable<string>, out: NodeJS.WritableStream): Promise<void> {
  for await (const chunk of chunks) {
    if (!out.write(chunk)) await once(out, 'drain');
  }
}

/**
 * Writes the export to `file` through `<file>.partial`, renamed once complete: an export that
 * fails half-way leaves no short file that looks whole (and an existing file stays until then).
 */
export async function writeExportFile(chunks: AsyncIterable<string>, file: string): Promise<void> {
  const partial = `${file}.partial`;
  const out = fs.createWriteStream(partial, { flags: 'w' });
  try {
    await once(out, 'open');
    await writeChunks(chunks, out);
    out.end();
    await once(out, 'finish');
    await fs.promises.rename(partial, file);
  } catch (err) {
    out.destroy();
    await fs.promises.rm(partial, { force: true });
    throw err;
  }
}
