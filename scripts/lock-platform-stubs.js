#!/usr/bin/env node
'use strict';
/**
 * Keeps `npm ci` working where the package registry serves only this
 * platform's prebuilt binaries: npm then leaves the other platforms' optional
 * packages (`@swc/core-darwin-arm64`, `@unrs/resolver-binding-win32-x64-msvc`, …)
 * out of package-lock.json, and `npm ci` refuses the lock as out of sync.
 *
 * This adds, for each such missing optional dependency, a lock entry with its
 * version, `os`, `cpu` (and `libc`) read from its name, so `npm ci` skips it on
 * other platforms without fetching it. Run after `npm install`:
 *   node scripts/lock-platform-stubs.js
 */
const fs = require('node:fs');
const path = require('node:path');

const file = path.join(__dirname, '..', 'package-lock.json');
const lock = JSON.parse(fs.readFileSync(file, 'utf8'));
const packages = lock.packages;
const PLATFORM =
  /-(darwin|win32|linux|android|freebsd|openharmony|sunos|aix)-(arm64|x64|arm|ia32|ppc64|s390x|loong64|riscv64|mips64el)(?:-([a-z0-9]+))?$/;
let added = 0;
for (const [where, entry] of Object.entries(packages)) {
  for (const [name, range] of Object.entries(entry.optionalDependencies ?? {})) {
    const nested = `${where ? `${where}/` : ''}node_modules/${name}`;
    if (packages[`node_modules/${name}`] || packages[nested]) continue;
    const m = PLATFORM.exec(name);
    if (!m) continue;
    const stub = {
      version: String(range).replace(/^[\^~=]/, ''),
      optional: true,
      os: [m[1]],
      cpu: [m[2]],
    };
    if (m[3] && /musl/.test(m[3])) stub.libc = ['musl'];
    else if (m[3] && /gnu/.test(m[3])) stub.libc = ['glibc'];
    packages[`node_modules/${name}`] = stub;
    added++;
  }
}
fs.writeFileSync(file, JSON.stringify(lock, null, 2) + '\n');
console.log(`lock-platform-stubs: added ${added} platform stub entr${added === 1 ? 'y' : 'ies'}`);
