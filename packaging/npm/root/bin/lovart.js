#!/usr/bin/env node
// The `lovart` command of the npm package: finds the native binary and runs it.
//
// The binary comes in one package per platform, listed as optional
// dependencies of this one (each with `os`, `cpu` and, on Linux, `libc`), so
// npm installs only the one that fits. Which names exist is read from this
// package's own package.json, so nothing here needs changing when they do.
//
// When the optional dependency was skipped (`--omit=optional`,
// `--no-optional`, a lockfile made on another platform), this falls back, as
// esbuild does, to installing that one package with npm into a cache folder
// (`$XDG_CACHE_HOME/lovart-npm`, or LOCALAPPDATA on Windows) once, and uses it
// from there on. `LOVART_BINARY_PATH` points at a binary to use instead.
//
// No dependencies: only Node's standard library.
"use strict";

const childProcess = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");

const manifest = require("../package.json");
const exe = process.platform === "win32" ? "lovart.exe" : "lovart";

/** The libc of this Linux ("glibc" or "musl"), as npm's `libc` field names it. */
function linuxLibc() {
  try {
    const header = process.report.getReport().header;
    return header.glibcVersionRuntime ? "glibc" : "musl";
  } catch {
    return fs.existsSync("/etc/alpine-release") ? "musl" : "glibc";
  }
}

/** Platform package names to try, best first (a static musl build runs on glibc too). */
function candidates() {
  const names = Object.keys(manifest.optionalDependencies || {});
  const base = `${process.platform}-${process.arch}`;
  let suffixes = [base];
  if (process.platform === "linux") {
    suffixes = linuxLibc() === "musl" ? [`${base}-musl`] : [`${base}-gnu`, `${base}-musl`];
  }
  const found = [];
  for (const suffix of suffixes) {
    for (const name of names) {
      if (name.endsWith(`-${suffix}`)) found.push(name);
    }
  }
  return found;
}

function installed(name) {
  try {
    return require.resolve(`${name}/bin/${exe}`);
  } catch {
    return null;
  }
}

function cacheRoot() {
  if (process.platform === "win32" && process.env.LOCALAPPDATA) {
    return path.join(process.env.LOCALAPPDATA, "lovart-npm");
  }
  const xdg = process.env.XDG_CACHE_HOME;
  return path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), ".cache"), "lovart-npm");
}

/** Installs `name@version` with npm into the cache (once); returns the binary's path or null. */
function fetchWithNpm(name) {
  const version = manifest.optionalDependencies[name];
  const target = path.join(cacheRoot(), `${name}@${version}`);
  const binary = path.join(target, "node_modules", name, "bin", exe);
  if (fs.existsSync(binary)) return binary;
  process.stderr.write(
    `lovart: the optional dependency ${name} was not installed; installing ${name}@${version} with npm into ${target}\n`,
  );
  const staging = `${target}.${process.pid}.tmp`;
  fs.mkdirSync(staging, { recursive: true });
  fs.writeFileSync(path.join(staging, "package.json"), "{}\n");
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const args = ["install", "--no-save", "--no-package-lock", "--ignore-scripts", "--no-audit", "--no-fund",
    "--loglevel=error", "--prefix", staging, `${name}@${version}`];
  const run = childProcess.spawnSync(npm, args, { stdio: ["ignore", "ignore", "inherit"], shell: process.platform === "win32" });
  const staged = path.join(staging, "node_modules", name, "bin", exe);
  if (run.status !== 0 || !fs.existsSync(staged)) {
    fs.rmSync(staging, { recursive: true, force: true });
    return null;
  }
  try {
    fs.renameSync(staging, target);
  } catch {
    // Another lovart got there first: use its copy.
    fs.rmSync(staging, { recursive: true, force: true });
  }
  return fs.existsSync(binary) ? binary : null;
}

function findBinary() {
  if (process.env.LOVART_BINARY_PATH) return process.env.LOVART_BINARY_PATH;
  const names = candidates();
  for (const name of names) {
    const binary = installed(name);
    if (binary) return binary;
  }
  for (const name of names) {
    const binary = fetchWithNpm(name);
    if (binary) return binary;
  }
  const wanted = names.length ? names.join(" or ") : `none for ${process.platform}-${process.arch}`;
  process.stderr.write(
    `Error: no lovart binary for this platform (package ${wanted})\n` +
      "hint: reinstall without --omit=optional / --no-optional, or install lovart another way " +
      "(pip install, cargo binstall, a release archive)\n",
  );
  process.exit(1);
}

function main() {
  const binary = findBinary();
  const child = childProcess.spawn(binary, process.argv.slice(2), { stdio: "inherit" });
  // The binary handles Ctrl-C itself (it prints how to resume): pass signals on, don't die first.
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
    process.on(signal, () => child.kill(signal));
  }
  child.on("error", (error) => {
    process.stderr.write(`Error: cannot run ${binary}: ${error.message}\n`);
    process.exit(1);
  });
  child.on("exit", (code, signal) => {
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
      return;
    }
    process.exit(code);
  });
}

main();
