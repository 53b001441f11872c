import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CATALOGUE } from '../../src/errors';

/** The catalogue is the list operators and callers switch on: no code missing (the compiler sees to that), none dead. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') && !path.endsWith(join('src', 'errors.ts')) ? [path] : [];
  });
}

test('when the catalogue lists a code, then some module outside it raises that code', () => {
  const source = sourceFiles(join(__dirname, '../../src'))
    .map((file) => readFileSync(file, 'utf8'))
    .join('\n');
  const dead = Object.keys(ERROR_CATALOGUE).filter(
    (code) => code !== 'INTERNAL' && !source.includes(`'${code}'`),
  );
  expect(dead).toEqual([]);
});

test('when a code means "fix the command line or a setting", then the CLI exits 2, and every other code exits 1', () => {
  const usage = Object.entries(ERROR_CATALOGUE)
    .filter(([, entry]) => entry.exit === 2)
    .map(([code]) => code);
  expect(usage.sort()).toEqual([
    'CLI.USAGE',
    'CONFIG.INVALID',
    'REGISTRY.INVALID',
    'REGISTRY.IN_TENANTS',
    'REGISTRY.NEEDS_STATE',
    'SCAN.WINDOW_INVALID',
  ]);
});

describe('AppError across copies of its module', () => {
  // The Functions bundle loads the composition root from its own file, with its own copy of errors.ts.
  test('when an AppError comes from another copy of the module, then it is still an AppError, and nothing else is', () => {
    let Other: typeof import('../../src/errors') | undefined;
    jest.isolateModules(() => {
      Other = require('../../src/errors') as typeof import('../../src/errors');
    });
    const { AppError, toAppError } =
      jest.requireActual<typeof import('../../src/errors')>('../../src/errors');
    expect(Other!.AppError).not.toBe(AppError);
    const busy = new Other!.AppError('SCAN.TENANT_BUSY', 'busy', { transient: true });
    expect(busy instanceof AppError).toBe(true);
    expect(toAppError(busy)).toBe(busy);
    expect(toAppError(busy).httpStatus).toBe(busy.httpStatus);
    const plain = Object.assign(new Error('x'), { code: 'SCAN.TENANT_BUSY' });
    expect(plain instanceof AppError).toBe(false);
    expect(toAppError(plain).code).toBe('INTERNAL');
  });
});
