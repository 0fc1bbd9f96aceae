// electron-builder.yml flips Electron's fuses in the packaged app: checked against the names
// electron-builder's own schema knows, so a misspelt key (which it would reject or ignore)
// fails here rather than in a release build.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

const ROOT = path.resolve(__dirname, '..', '..', '..');

/** The `key: value` lines of one top-level block of a YAML file (flat scalars only). */
function topLevelBlock(yaml: string, name: string): Map<string, string> {
  const lines = yaml.split('\n');
  const start = lines.findIndex((l) => l === `${name}:`);
  assert.notEqual(start, -1, `no top-level ${name}: block`);
  const block = new Map<string, string>();
  for (const line of lines.slice(start + 1)) {
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const m = /^ {2}([A-Za-z]+): *(\S+)$/.exec(line);
    if (!m) break;
    assert.ok(!block.has(m[1]!), `${m[1]} twice`);
    block.set(m[1]!, m[2]!);
  }
  return block;
}

test('electron-builder.yml sets the fuses: no run-as-node, no NODE_OPTIONS or inspect, asar only and checked', () => {
  const fuses = topLevelBlock(fs.readFileSync(path.join(ROOT, 'electron-builder.yml'), 'utf8'), 'electronFuses');
  assert.deepEqual(Object.fromEntries(fuses), {
    runAsNode: 'false',
    enableNodeOptionsEnvironmentVariable: 'false',
    enableNodeCliInspectArguments: 'false',
    enableEmbeddedAsarIntegrityValidation: 'true',
    onlyLoadAppFromAsar: 'true',
    enableCookieEncryption: 'true',
    grantFileProtocolExtraPrivileges: 'false',
  });
  const schema = JSON.parse(
    fs.readFileSync(path.join(ROOT, 'node_modules', 'app-builder-lib', 'scheme.json'), 'utf8'),
  ) as { definitions: Record<string, { properties?: Record<string, { type?: string }> }> };
  const known = schema.definitions.FuseOptionsV1?.properties ?? {};
  for (const key of fuses.keys()) assert.equal(known[key]?.type, 'boolean', `${key} is a fuse electron-builder knows`);
});
