// The shape of the tree (../shared/STYLE.md): shells reach the library only through its public entries, the
// browser entry's import graph holds no Node module, so bundlers need no shims, and data flows one way: the
// runtime-free core (detect/, classify/, the pipeline, the checker's types) imports no runtime, and runtime/ does
// not import the checker it serves (check.ts).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const REPO = resolve(import.meta.dirname, '..');
const ENTRIES = ['src/index.ts', 'src/web.ts', 'src/evaluate/index.ts', 'src/data/index.ts', 'src/server/index.ts'];
const NODE_ONLY = /^(node:|sharp$|onnxruntime-node$|fastify|@fastify\/|commander$|csv-parse|cli-progress$)/;

function sourceFiles(dir: string): string[] {
  return readdirSync(join(REPO, dir), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts') && !name.endsWith('.d.ts'))
    .map((name) => join(dir, name));
}

/** Module specifiers of a file's static imports and re-exports (type-only ones included). */
function specifiers(file: string): string[] {
  const text = readFileSync(join(REPO, file), 'utf8');
  return [...text.matchAll(/^(?:import|export)\s[^;]*?from\s+'([^']+)'/gms)].map((match) => match[1]!);
}

/** A relative specifier as a repository path (.js -> .ts, as tsc's NodeNext resolution maps them). */
function target(file: string, specifier: string): string {
  return relative(REPO, resolve(REPO, dirname(file), specifier)).replace(/\.js$/, '.ts');
}

describe('the public API boundary', () => {
  const shells = [
    { dir: 'src/cli', entries: ENTRIES },
    { dir: 'src/server', entries: ENTRIES.filter((entry) => entry !== 'src/server/index.ts') },
    { dir: 'bench', entries: ENTRIES },
  ];
  for (const { dir, entries } of shells)
    it(`${dir}/ imports the library only through its public entries`, () => {
      const deep: string[] = [];
      for (const file of sourceFiles(dir))
        for (const specifier of specifiers(file).filter((s) => s.startsWith('.'))) {
          const path = target(file, specifier);
          if (!path.startsWith(`${dir}/`) && !entries.includes(path)) deep.push(`${file} -> ${specifier}`);
        }
      expect(deep).toEqual([]);
    });

  it('web/ imports nothing of this repository but antispoof/web, and has no stand-ins for Node modules', () => {
    const files = sourceFiles('web/src');
    expect(files.length).toBeGreaterThan(3);
    const outside = files.flatMap((file) =>
      specifiers(file)
        .filter(
          (s) =>
            (s.startsWith('.') && !target(file, s).startsWith('web/')) || (!s.startsWith('.') && s !== 'antispoof/web'),
        )
        .map((s) => `${file} -> ${s}`),
    );
    expect(outside).toEqual([]);
    expect(existsSync(join(REPO, 'web', 'src', 'shims'))).toBe(false);
    expect(readFileSync(join(REPO, 'web', 'vite.config.ts'), 'utf8')).not.toMatch(/find: \/\^node:/);
  });

  it('the browser entry reaches no Node module through any import, types included', () => {
    const seen = new Set<string>();
    const nodeOnly: string[] = [];
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const specifier of specifiers(file)) {
        if (specifier.startsWith('.')) visit(target(file, specifier));
        else if (NODE_ONLY.test(specifier)) nodeOnly.push(`${file} -> ${specifier}`);
      }
    };
    visit('src/web.ts');
    expect(seen.size).toBeGreaterThan(20);
    expect(seen.has('src/pipeline.ts')).toBe(true);
    expect(nodeOnly).toEqual([]);
  });
});

/** Every repository file reached from `entry` through relative imports, types included. */
function reachable(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const specifier of specifiers(file)) if (specifier.startsWith('.')) visit(target(file, specifier));
  };
  visit(entry);
  return seen;
}

describe('the direction of imports', () => {
  for (const dir of ['src/detect', 'src/classify'])
    it(`${dir}/ imports nothing from src/runtime/`, () => {
      const imports = sourceFiles(dir).flatMap((file) =>
        specifiers(file)
          .filter((s) => s.startsWith('.') && target(file, s).startsWith('src/runtime/'))
          .map((s) => `${file} -> ${s}`),
      );
      expect(imports).toEqual([]);
    });

  it('src/runtime/ never imports src/check.ts, directly or through another module', () => {
    const circular = sourceFiles('src/runtime').filter((file) => reachable(file).has('src/check.ts'));
    expect(circular).toEqual([]);
  });

  it('the runtime-free core (core.ts, liveness-checker.ts) reaches no runtime/ module and no Node-only package', () => {
    for (const entry of ['src/core.ts', 'src/liveness-checker.ts']) {
      const files = [...reachable(entry)];
      expect(
        files.filter((file) => file.startsWith('src/runtime/')),
        entry,
      ).toEqual([]);
      const nodeOnly = files.flatMap((file) =>
        specifiers(file)
          .filter((s) => NODE_ONLY.test(s))
          .map((s) => `${file} -> ${s}`),
      );
      expect(nodeOnly, entry).toEqual([]);
    }
  });

  it('one test tells raw pixels from a decoded image (src/image/pixels.ts), not one per caller', () => {
    const tests = sourceFiles('src').filter((file) => /'channels' in /.test(readFileSync(join(REPO, file), 'utf8')));
    expect(tests).toEqual(['src/image/pixels.ts']);
  });
});
