import fs from 'node:fs';
import path from 'node:path';
import { loadedFiles, moduleReferences, params, type BicepFile } from './bicep';
import { matchingClose, objectEntries } from './source';

const AVM_PINNED = /^br\/public:avm\/(res|ptn|utl)\/[a-z0-9-]+\/[a-z0-9-]+(\/[a-z0-9-]+)*:\d+\.\d+\.\d+$/;

/** Problems a compiler would find first: unbalanced brackets, unclosed strings, missing files, unpinned modules. */
export function templateProblems(bicep: BicepFile, root: string): string[] {
  const rel = path.relative(root, bicep.file);
  const problems = bicep.syntaxProblems.map((p) => `${rel}: ${p}`);
  const dir = path.dirname(bicep.file);
  for (const ref of moduleReferences(bicep)) {
    if (ref.source.startsWith('br/') || ref.source.startsWith('br:')) {
      if (!AVM_PINNED.test(ref.source))
        problems.push(
          `${rel}:${ref.line}: module ${ref.symbol} '${ref.source}' is not an AVM module pinned to a version.`,
        );
    } else if (!fs.existsSync(path.resolve(dir, ref.source))) {
      problems.push(`${rel}:${ref.line}: module ${ref.symbol} '${ref.source}' does not exist.`);
    }
  }
  for (const load of loadedFiles(bicep)) {
    if (!fs.existsSync(path.resolve(dir, load.path)))
      problems.push(`${rel}:${load.line}: ${load.fn}('${load.path}') does not exist.`);
  }
  return problems;
}

/** The keys of `params: { … }` in `module <symbol> '…' = { … }`. */
export function moduleParamsPassed(caller: BicepFile, symbol: string): string[] {
  const declaration = new RegExp(
    `^[ \\t]*module\\s+${symbol}\\s+'[^']*'\\s*=\\s*(?:\\[[^\\n]*\\n\\s*)?[^{\\n]*\\{`,
    'm',
  ).exec(caller.masked);
  if (!declaration) throw new Error(`no module ${symbol}`);
  const open = declaration.index + declaration[0].length - 1;
  const entry = objectEntries(caller.text, caller.masked, open).find((e) => e.key === 'params');
  if (!entry) return [];
  const paramsOpen = caller.masked.indexOf('{', entry.valueStart);
  if (paramsOpen === -1 || matchingClose(caller.masked, paramsOpen) === -1) return [];
  return objectEntries(caller.text, caller.masked, paramsOpen).map((e) => e.key);
}

/** Every parameter a local module declares without a default is passed by its caller, and nothing it does not declare. */
export function moduleParamProblems(
  caller: BicepFile,
  root: string,
  read: (file: string) => BicepFile,
): string[] {
  const rel = path.relative(root, caller.file);
  const problems: string[] = [];
  for (const ref of moduleReferences(caller)) {
    if (ref.source.startsWith('br')) continue;
    const declared = params(read(path.resolve(path.dirname(caller.file), ref.source)));
    const passed = moduleParamsPassed(caller, ref.symbol);
    for (const p of declared) {
      if (!p.optional && !passed.includes(p.name))
        problems.push(
          `${rel}: module ${ref.symbol} does not pass required param ${p.name} of ${ref.source}.`,
        );
    }
    for (const name of passed) {
      if (!declared.some((p) => p.name === name))
        problems.push(`${rel}: module ${ref.symbol} passes ${name}, which ${ref.source} does not declare.`);
    }
  }
  return problems;
}

/** main.parameters.json gives every parameter main.bicep requires, only declared ones, each as an azd `${VAR}` substitution. */
export function parameterFileProblems(
  main: BicepFile,
  file: { parameters: Record<string, { value: unknown }> },
): string[] {
  const declared = params(main);
  const given = Object.keys(file.parameters);
  const problems: string[] = [];
  for (const p of declared)
    if (!p.optional && !given.includes(p.name))
      problems.push(`main.parameters.json does not give ${p.name}, which main.bicep requires.`);
  for (const name of given)
    if (!declared.some((p) => p.name === name))
      problems.push(`main.parameters.json gives ${name}, which main.bicep does not declare.`);
  for (const [name, { value }] of Object.entries(file.parameters)) {
    if (typeof value !== 'string' || !/^\$\{[A-Z_][A-Z0-9_]*(=[^}]*)?\}$/.test(value))
      problems.push(`main.parameters.json: ${name} is not an azd \${VARIABLE} substitution.`);
  }
  return problems;
}

export interface AvmModule {
  params: string[];
  required: string[];
  outputs: string[];
}

/** Each call of a registry module passes only parameters the pinned version declares, and all it requires. */
export function avmCallProblems(
  bicep: BicepFile,
  root: string,
  modules: Record<string, AvmModule>,
): string[] {
  const rel = path.relative(root, bicep.file);
  const problems: string[] = [];
  for (const ref of moduleReferences(bicep)) {
    if (!ref.source.startsWith('br/public:')) continue;
    const id = ref.source.slice('br/public:'.length);
    const module = modules[id];
    if (!module) {
      problems.push(
        `${rel}:${ref.line}: ${id} is not in test/infra/fixtures/avm-modules.json: add its parameters there.`,
      );
      continue;
    }
    const passed = moduleParamsPassed(bicep, ref.symbol);
    for (const name of passed)
      if (!module.params.includes(name)) problems.push(`${rel}:${ref.line}: ${id} has no parameter ${name}.`);
    for (const name of module.required)
      if (!passed.includes(name))
        problems.push(`${rel}:${ref.line}: ${id} requires ${name}, which is not passed.`);
  }
  return problems;
}

/** Every `<module>.outputs.<name>` names an output the module (local or pinned AVM) has. */
export function outputUseProblems(
  bicep: BicepFile,
  root: string,
  read: (file: string) => BicepFile,
  modules: Record<string, AvmModule>,
): string[] {
  const rel = path.relative(root, bicep.file);
  const outputsOf = new Map<string, { source: string; outputs: string[] }>();
  for (const ref of moduleReferences(bicep)) {
    const outputs = ref.source.startsWith('br/public:')
      ? (modules[ref.source.slice('br/public:'.length)]?.outputs ?? [])
      : [
          ...read(path.resolve(path.dirname(bicep.file), ref.source)).text.matchAll(
            /^[ \t]*output\s+(\w+)\s/gm,
          ),
        ].map((m) => m[1]);
    outputsOf.set(ref.symbol, { source: ref.source, outputs });
  }
  const problems: string[] = [];
  for (const m of bicep.text.matchAll(/\b(\w+)(?:!|\[[^\]]*\])?\.outputs\.\??(\w+)/g)) {
    const module = outputsOf.get(m[1]);
    if (!module) continue;
    if (!module.outputs.includes(m[2]))
      problems.push(`${rel}: ${m[1]}.outputs.${m[2]}: ${module.source} has no output ${m[2]}.`);
  }
  return [...new Set(problems)];
}

/** Every `__NAME__` placeholder in a file Bicep loads is filled in by a `replace(…, '__NAME__', …)` of that file. */
export function placeholderProblems(
  bicep: BicepFile,
  root: string,
  readText: (file: string) => string,
): string[] {
  const rel = path.relative(root, bicep.file);
  const problems: string[] = [];
  for (const load of loadedFiles(bicep)) {
    const file = path.resolve(path.dirname(bicep.file), load.path);
    if (!fs.existsSync(file)) continue;
    const placeholders = [...new Set(readText(file).match(/__[A-Z][A-Z0-9_]*__/g) ?? [])];
    for (const placeholder of placeholders) {
      if (!bicep.text.includes(`'${placeholder}'`))
        problems.push(`${rel}:${load.line}: ${load.path} has ${placeholder}, which ${rel} never replaces.`);
    }
  }
  return problems;
}
