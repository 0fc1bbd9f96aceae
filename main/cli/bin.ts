#!/usr/bin/env node
// The `lifecycle-desk` command (package.json "bin"). Commands are listed in ./commands/index.ts.
import { runCli } from './run';

// `lifecycle-desk turns | head` closes stdout early: that is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

runCli(process.argv.slice(2)).then(
  (code) => {
    // exitCode, not exit(): stdout is flushed before the process ends.
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error('error:', err);
    process.exitCode = 1;
  },
);
