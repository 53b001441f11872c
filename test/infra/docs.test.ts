import fs from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { checkFunctionsSettings } from '../../src/config/functionsSettings';
import { loadConfig } from '../../src/config/config';
import {
  codeSpans,
  documentedDefaults,
  errorCodes,
  fencedBlocks,
  githubSlug,
  headingAnchors,
  layoutPaths,
  linkProblems,
  normalise,
  npmScripts,
  repoPaths,
  settingNames,
  type DocumentedDefault,
} from './lib/docs';
import { SETTING_NAME, settingsReadIn, sourceFiles } from './lib/settings';

/**
 * The docs say only what the repository and the code hold (issue 12, item 6): links and anchors
 * resolve, `npm run` scripts exist, setting names and error codes are the code's, documented defaults
 * are the code's defaults, repository paths exist, and ARCHITECTURE.md's layout is the real tree.
 * Every list is derived from the files and the code; nothing here runs a process or a service.
 */
const ROOT = path.join(__dirname, '../..');
const read = (relative: string) => fs.readFileSync(path.join(ROOT, relative), 'utf8');
const exists = (relative: string) => fs.existsSync(path.join(ROOT, relative));

/** The docs this checks: the README and docs/*.md. Links are also checked in the other READMEs. */
const DOCS = [
  'README.md',
  ...fs
    .readdirSync(path.join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`),
];
const LINKED = [...DOCS, 'infra/README.md', 'emulator/README.md'].filter(exists);

/** .gitignore entries: what a clean clone lacks until a build or a run writes it (dist/, bench/results.json). */
const ignoredPatterns = read('.gitignore')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line !== '' && !line.startsWith('#') && !line.startsWith('!'))
  .map((entry) => {
    const anchored = entry.replace(/\/$/, '').includes('/');
    const body = entry
      .replace(/^\//, '')
      .replace(/\/$/, '')
      .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '[^/]*');
    return new RegExp(`${anchored ? '^' : '(?:^|/)'}${body}(?:/|$)`);
  });
const ignored = (relative: string) => ignoredPatterns.some((pattern) => pattern.test(relative));

/** Every file in the repository but .git and what .gitignore leaves out (node_modules, dist, …). */
function repoFiles(dir = ''): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const relative = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.name === '.git' || ignored(relative)) return [];
    return entry.isDirectory() ? [`${relative}/`, ...repoFiles(relative)] : [relative];
  });
}
const FILES = repoFiles();
/** Top-level folders, with the git-ignored ones (`dist/`) that docs may name before a build. */
const TOP_LEVEL_DIRS = [
  ...new Set(
    [
      ...FILES.filter((f) => /^[^/]+\/$/.test(f)),
      ...read('.gitignore')
        .split('\n')
        .filter((line) => /^[\w.-]+\/$/.test(line.trim())),
    ].map((dir) => dir.trim().replace(/\/$/, '')),
  ),
];

/** Text of the code that may name a setting: the app, the deployment, the benchmarks and the launcher. */
const codeText = ['src/', 'infra/', 'bench/', 'bin/']
  .flatMap((dir) => FILES.filter((f) => f.startsWith(dir) && !f.endsWith('/')))
  .map(read)
  .join('\n');
/** Settings read by someone else than this code, named in the docs on purpose. */
const EXTERNAL_SETTINGS: Record<string, string> = {
  AZURE_CLIENT_SECRET: "@azure/identity's EnvironmentCredential (DefaultAzureCredential in a pipeline)",
  FUNCTIONS_WORKER_RUNTIME: 'the Azure Functions host',
};
/** Every setting src/ reads (zod schema keys, `env.NAME`, `%NAME%` bindings), with where. */
const READS = sourceFiles(path.join(ROOT, 'src')).flatMap((file) =>
  settingsReadIn(file, fs.readFileSync(file, 'utf8'), ROOT),
);
/** One-word settings (`TENANTS`) count as setting names in the docs only because the code reads them. */
const ONE_WORD_SETTINGS = new Set(READS.map((r) => r.name).filter((name) => /^[A-Z]+$/.test(name)));
const namesIn = (doc: string) => settingNames(read(doc), ONE_WORD_SETTINGS);
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('docs: how the checks read Markdown', () => {
  test('when headings repeat or carry code and punctuation, then anchors follow GitHub', () => {
    expect(githubSlug('What was checked here, and what only a run in Azure can prove')).toBe(
      'what-was-checked-here-and-what-only-a-run-in-azure-can-prove',
    );
    expect(githubSlug('The runbook fix (`REMEDIATION_METHOD=runbook`)')).toBe(
      'the-runbook-fix-remediation_methodrunbook',
    );
    expect([...headingAnchors('# A\n## Notes\n```\n# not a heading\n```\n### Notes\n')]).toEqual([
      'a',
      'notes',
      'notes-1',
    ]);
  });

  test('when a link points at a missing file or heading, then the check names the document line', () => {
    const repo = { exists: (f: string) => ['docs/A.md', 'src'].includes(f), read: () => '# Setup\n' };
    const doc =
      'x\n[a](A.md#setup) [b](A.md#gone) [c](../src) [d](missing.md) [e](https://example.com/x.md) `[f](nope.md)`\n';
    expect(linkProblems('docs/B.md', doc, repo)).toEqual([
      expect.stringMatching(/^docs\/B\.md:2: .*#gone/),
      expect.stringMatching(/^docs\/B\.md:2: .*docs\/missing\.md/),
    ]);
    expect(normalise('docs/../../shared/DESIGN.md')).toBeUndefined();
  });

  test('when code spans hold settings, error codes and paths, then each is told apart', () => {
    const doc =
      'Set `SCAN_SCHEDULE`, `TENANTS` and `AzureWebJobsStorage__*` (`GET /api/health`); timer `%SCAN_SCHEDULE%`; `AUTH.WRONG_TENANT`, `TICKET.<SYSTEM>_FAILED`; `src/app/` and `../shared/DESIGN.md`.\n```bash\nbash infra/scripts/x.sh   # GRAPH_SP=$(az …)\n```\nnpm run demo\n';
    expect(settingNames(doc, new Set(['TENANTS'])).map((f) => f.value)).toEqual([
      'SCAN_SCHEDULE',
      'TENANTS',
      'AzureWebJobsStorage__*',
      'SCAN_SCHEDULE',
    ]);
    expect(errorCodes(doc).map((f) => f.value)).toEqual(['AUTH.WRONG_TENANT', 'TICKET.<SYSTEM>_FAILED']);
    expect(repoPaths(doc, ['src', 'infra']).map((f) => `${f.line}:${f.value}`)).toEqual([
      '1:src/app/',
      '1:../shared/DESIGN.md',
      '3:infra/scripts/x.sh',
    ]);
    expect(npmScripts(doc).map((f) => f.value)).toEqual(['demo']);
  });

  test('when a settings table or a sentence gives a default, then it is read with its kind', () => {
    const doc = [
      '| setting | default | meaning |',
      '|---|---|---|',
      '| `A_B` | `24h` | x |',
      '| `C_D` | — (`x` in the examples) | y |',
      '',
      '| azd environment value | default | becomes |',
      '|---|---|---|',
      '| `E_F` | `report` | z |',
      '',
      'timer `%G_H%` (default `0 */15 * * * *`), `I_J` (default per cloud)',
    ].join('\n');
    expect(documentedDefaults(doc)).toEqual([
      { name: 'A_B', value: '24h', line: 3, kind: 'app' },
      { name: 'E_F', value: 'report', line: 8, kind: 'azd' },
      { name: 'G_H', value: '0 */15 * * * *', line: 10, kind: 'app' },
    ]);
  });

  test('when a layout tree nests folders, then each entry is a path from the root', () => {
    const tree =
      '```\nsrc/\n  cli.ts            entry\n  scan/             the use case\n                    window, model\n  actions/          acting;\n                    tickets/ sinks\nemulator/           fake\ntest/unit           tests\n```';
    expect(layoutPaths(tree).map((f) => f.value)).toEqual([
      'src/',
      'src/cli.ts',
      'src/scan/',
      'src/actions/',
      'src/actions/tickets/',
      'emulator/',
      'test/unit',
    ]);
  });
});

describe('docs: README.md and docs/*.md against the repository and the code', () => {
  test('when the docs link to a file or a heading, then it exists', () => {
    expect(LINKED.flatMap((doc) => linkProblems(doc, read(doc), { exists, read }))).toEqual([]);
  });

  test('when the docs name `npm run <script>`, then package.json has that script', () => {
    const scripts = Object.keys(
      (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts,
    );
    const problems = DOCS.flatMap((doc) =>
      npmScripts(read(doc))
        .filter(({ value }) => !scripts.includes(value))
        .map(
          ({ value, line }) =>
            `${doc}:${line}: npm run ${value}, but package.json has no script "${value}" (it has ${scripts.join(', ')}).`,
        ),
    );
    expect(problems).toEqual([]);
  });

  test('when the docs name a setting in backticks, then the code or the deployment knows it', () => {
    const known = (name: string) =>
      name.endsWith('*')
        ? new RegExp(`(?<!\\w)${escape(name.slice(0, -1))}\\w+`).test(codeText)
        : name in EXTERNAL_SETTINGS || new RegExp(`(?<!\\w)${escape(name)}(?!\\w)`).test(codeText);
    const problems = DOCS.flatMap((doc) =>
      namesIn(doc)
        .filter(({ value }) => !known(value))
        .map(
          ({ value, line }) =>
            `${doc}:${line}: \`${value}\` looks like a setting, but nothing in src/, infra/, bench/ or bin/ names it.`,
        ),
    );
    expect(problems).toEqual([]);
    const named = new Set(DOCS.flatMap((doc) => namesIn(doc).map((f) => f.value)));
    for (const name of Object.keys(EXTERNAL_SETTINGS)) expect(named).toContain(name);
  });

  test('when the code reads a setting, then the README or docs/ names it in full', () => {
    const mentioned = new Set(DOCS.flatMap((doc) => namesIn(doc).map((f) => f.value)));
    const problems = [...new Map(READS.map((r) => [r.name, r])).values()]
      .filter((r) => !mentioned.has(r.name))
      .map(
        (r) => `${r.name} is read by ${r.source}, but neither README.md nor docs/*.md names it in backticks.`,
      );
    expect(problems).toEqual([]);
  });

  test('when the docs give a setting a default, then it is the default the code or infra/main.parameters.json has', () => {
    const problems = DOCS.flatMap((doc) =>
      documentedDefaults(read(doc)).flatMap((documented) => {
        const wrong =
          documented.kind === 'azd' ? azdDefaultProblem(documented) : appDefaultProblem(documented);
        return wrong
          ? [
              `${doc}:${documented.line}: ${documented.name} is documented with the default "${documented.value}", but ${wrong}.`,
            ]
          : [];
      }),
    );
    expect(problems).toEqual([]);
  });

  test('when the docs name an error code, then src/ raises it', () => {
    const srcText = FILES.filter((f) => f.startsWith('src/') && f.endsWith('.ts'))
      .map(read)
      .join('\n');
    const raised = (code: string) => {
      const pattern = code
        .split(/(<[A-Z]+>)/)
        .map((part) => (/^<[A-Z]+>$/.test(part) ? '(?:[A-Z_]+|\\$\\{[^}]+\\})' : escape(part)))
        .join('');
      return new RegExp(`['"\`]${pattern}['"\`]`).test(srcText);
    };
    const problems = DOCS.flatMap((doc) =>
      errorCodes(read(doc))
        .filter(({ value }) => !raised(value))
        .map(
          ({ value, line }) =>
            `${doc}:${line}: \`${value}\` looks like an error code, but no string in src/ is that code.`,
        ),
    );
    expect(problems).toEqual([]);
  });

  test('when the docs name a repository path in backticks, then it exists (or is git-ignored output)', () => {
    const problems = DOCS.flatMap((doc) =>
      repoPaths(read(doc), TOP_LEVEL_DIRS).flatMap(({ value, line }) => {
        const problem = pathProblem(value);
        return problem ? [`${doc}:${line}: \`${value}\` ${problem}.`] : [];
      }),
    );
    // A bare document name (`DEPLOY.md`) is some file of the repository, not one kept elsewhere.
    const markdownFiles = new Set(FILES.filter((f) => f.endsWith('.md')).map((f) => path.posix.basename(f)));
    for (const doc of DOCS) {
      for (const { value, line } of codeSpans(read(doc))) {
        if (/^[\w.-]+\.md$/.test(value) && !markdownFiles.has(value))
          problems.push(`${doc}:${line}: \`${value}\` is no Markdown file of the repository.`);
      }
    }
    expect(problems).toEqual([]);
  });

  test('when the docs call a test `test.failing` (a known gap), then that test file still has one', () => {
    const problems = DOCS.flatMap((doc) =>
      read(doc)
        .split(/\n\s*\n|\n(?=\s*[-*] )/)
        .filter((paragraph) => paragraph.includes('`test.failing`'))
        .flatMap((paragraph) => repoPaths(paragraph, ['test']).map((f) => f.value))
        .filter(
          (file) =>
            file.endsWith('.test.ts') && !/\b(?:test|it)\.failing\s*\(/.test(exists(file) ? read(file) : ''),
        )
        .map(
          (file) =>
            `${doc}: ${file} is called a failing test (\`test.failing\`), but it has none: the gap is closed, say so.`,
        ),
    );
    expect(problems).toEqual([]);
  });

  test('when ARCHITECTURE.md shows the layout, then every entry exists and every source, test and top-level folder is in it', () => {
    const architecture = read('docs/ARCHITECTURE.md');
    const section = architecture.slice(architecture.indexOf('## Layout'));
    const block = fencedBlocks(section)[0];
    expect(block).toBeDefined();
    const entries = layoutPaths(block.value).map((f) => f.value.replace(/\/$/, ''));
    expect(
      entries
        .filter((entry) => !exists(entry))
        .map((entry) => `${entry} is in the layout but not in the repository`),
    ).toEqual([]);
    const expected = [
      ...FILES.filter((f) => /^src\/[^/]+(\/|\.ts)$/.test(f)),
      ...FILES.filter((f) => /^test\/[^/]+\/$/.test(f)),
      ...FILES.filter((f) => /^[^./][^/]*\/$/.test(f) && f !== 'test/'),
    ].map((f) => f.replace(/\/$/, ''));
    expect(
      expected.filter((f) => !entries.includes(f)).map((f) => `${f} is missing from the layout`),
    ).toEqual([]);
  });

  test('when a documented default is wrong, then the check says what the code or the azd parameters have', () => {
    const at = { line: 1, kind: 'app' as const };
    expect(appDefaultProblem({ ...at, name: 'SCAN_LOOKBACK', value: '12h' })).toMatch(/default differs/);
    expect(appDefaultProblem({ ...at, name: 'JIRA_ISSUE_TYPE', value: 'Bug' })).toMatch(/default differs/);
    expect(appDefaultProblem({ ...at, name: 'JIRA_API_TOKEN', value: 'x' })).toMatch(/requires it/);
    expect(appDefaultProblem({ ...at, name: 'SCAN_SCHEDULE', value: '0 */15 * * * *' })).toMatch(
      /requires it/,
    );
    expect(appDefaultProblem({ ...at, name: 'TENANT_LEASE_SECONDS', value: '90' })).toMatch(
      /refuses that value/,
    );
    expect(appDefaultProblem({ ...at, name: 'NOT_A_SETTING', value: 'x' })).toMatch(/cannot check/);
    expect(appDefaultProblem({ ...at, name: 'TENANT_LEASE_SECONDS', value: '60' })).toBeUndefined();
    expect(azdDefaultProblem({ ...at, kind: 'azd', name: 'ACTION_MODE', value: 'ticket' })).toMatch(
      /has "report"/,
    );
    expect(azdDefaultProblem({ ...at, kind: 'azd', name: 'TICKET_SYSTEM', value: 'jira' })).toMatch(
      /no default/,
    );
  });
});

/** A path in the docs: exists, matches a file when it is a glob or has a placeholder, or is git-ignored output. */
function pathProblem(value: string): string | undefined {
  const relative = normalise(value);
  if (relative === undefined) return 'is outside the repository';
  if (ignored(relative)) return undefined;
  if (!/[*<>{}…]/.test(relative)) return exists(relative) ? undefined : 'is not in the repository';
  const pattern = new RegExp(
    `^${relative
      .split(/(\*+|<[^>]*>|\{[^}]*\}|…)/)
      .map((part, i) => (i % 2 === 1 ? '[^/]*' : escape(part)))
      .join('')}/?$`,
  );
  return FILES.some((file) => pattern.test(file)) ? undefined : 'matches no file in the repository';
}

/** What infra/main.parameters.json gives an azd environment value: `${NAME=default}` or `${NAME}` (none). */
function azdDefaultProblem({ name, value }: DocumentedDefault): string | undefined {
  const parameters = (
    JSON.parse(read('infra/main.parameters.json')) as { parameters: Record<string, { value: unknown }> }
  ).parameters;
  const defaults = new Map<string, string | undefined>();
  for (const { value: text } of Object.values(parameters)) {
    const m = typeof text === 'string' ? /^\$\{(\w+)(?:=([^}]*))?\}$/.exec(text) : null;
    if (m) defaults.set(m[1], m[2]);
  }
  if (!defaults.has(name)) return 'infra/main.parameters.json reads no such azd environment value';
  const actual = defaults.get(name);
  if (actual === undefined) return 'infra/main.parameters.json gives it no default';
  return actual === value ? undefined : `infra/main.parameters.json has "${actual}"`;
}

/**
 * The code's default of an app setting, asked of the code itself: the exported zod schemas in src/
 * (Automation, the ticket systems) field by field; loadConfig and checkFunctionsSettings by setting
 * the value and comparing with the setting left out. A required setting has no default.
 */
const fieldSchemas = new Map<string, z.ZodType>();
for (const file of sourceFiles(path.join(ROOT, 'src'))) {
  const text = fs.readFileSync(file, 'utf8');
  if (
    !/\bexport const \w+\s*=\s*z\s*\.\s*object\s*\(/.test(text) ||
    settingsReadIn(file, text, ROOT).length === 0
  )
    continue;
  for (const value of Object.values(require(file) as Record<string, unknown>)) {
    if (!(value instanceof z.ZodObject)) continue;
    for (const [key, field] of Object.entries(value.shape as Record<string, z.ZodType>))
      if (SETTING_NAME.test(key)) fieldSchemas.set(key, field);
  }
}
const namesReadBy = (relative: string) =>
  new Set(settingsReadIn(path.join(ROOT, relative), read(relative), ROOT).map((r) => r.name));
const CONFIG_SETTINGS = namesReadBy('src/config/config.ts');
const FUNCTIONS_SETTINGS = namesReadBy('src/config/functionsSettings.ts');
/** A valid Functions configuration to take one setting out of. */
const FUNCTIONS_BASE: NodeJS.ProcessEnv = {
  TENANTS: '6a1b2c3d-0000-4000-8000-00000000000a',
  SCAN_SCHEDULE: '0 */15 * * * *',
  STATE_STORAGE: 'UseDevelopmentStorage=true',
  AzureWebJobsStorage: 'UseDevelopmentStorage=true',
};

function appDefaultProblem({ name, value }: DocumentedDefault): string | undefined {
  const compare = (unset: () => unknown, set: () => unknown): string | undefined => {
    let without: unknown;
    try {
      without = unset();
    } catch {
      return 'the code requires it: it has no default';
    }
    let withValue: unknown;
    try {
      withValue = set();
    } catch (err) {
      return `the code refuses that value (${(err as Error).message.split('\n').slice(-1)[0].trim()})`;
    }
    return isDeepStrictEqual(without, withValue)
      ? undefined
      : `the code's default differs (unset gives ${JSON.stringify(without)}, the value gives ${JSON.stringify(withValue)})`;
  };
  const field = fieldSchemas.get(name);
  if (field)
    return compare(
      () => field.parse(undefined),
      () => field.parse(value),
    );
  if (CONFIG_SETTINGS.has(name)) {
    // knownSecrets lists the values of secret-named settings: a default is about the rest.
    const comparable = (env: NodeJS.ProcessEnv) => {
      const config = loadConfig(env);
      return { ...config, telemetry: { ...config.telemetry, knownSecrets: [] } };
    };
    return compare(
      () => comparable({}),
      () => comparable({ [name]: value }),
    );
  }
  if (FUNCTIONS_SETTINGS.has(name)) {
    const settings = (env: NodeJS.ProcessEnv) => {
      const { settings: parsed, problems } = checkFunctionsSettings(env);
      if (!parsed) throw new Error(problems.map((p) => p.message).join(' '));
      return parsed;
    };
    const { [name]: _left, ...without } = FUNCTIONS_BASE;
    return compare(
      () => settings(without),
      () => settings({ ...without, [name]: value }),
    );
  }
  return 'no settings schema in src/ reads it, so the test cannot check the default (state it in words, or teach this test)';
}
