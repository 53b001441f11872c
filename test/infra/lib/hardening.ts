import { matchingClose } from './source';
import type { BicepFile } from './bicep';

/** The `{` opening each `resource <symbol> '<type>@<version>' … = {` of a type, found in code only (not in comments). */
function resourcesOfType(bicep: BicepFile, type: string): number[] {
  const opens: number[] = [];
  for (const m of bicep.masked.matchAll(/^[ \t]*resource\s+\w+\s+'[^'\n]*'[^{\n]*\{/gm)) {
    const header = bicep.text.slice(m.index!, m.index! + m[0].length);
    if (header.toLowerCase().includes(`'${type.toLowerCase()}@`)) opens.push(m.index! + m[0].length - 1);
  }
  return opens;
}

/**
 * Readings of the deployment's hardening (issue 11, finding 7) from Bicep text, without a compiler.
 * Everything is read from the masked text, so a commented-out line never counts.
 */

/** The `{ name: 'ftp'|'scm', allow: … }` entries a file sets, as AVM `basicPublishingCredentialsPolicies` items or as plain `Microsoft.Web/sites/basicPublishingCredentialsPolicies` resources. */
export function basicPublishingPolicies(bicep: BicepFile): Array<{ name: string; allow: string }> {
  const found: Array<{ name: string; allow: string }> = [];
  const param = /\bbasicPublishingCredentialsPolicies:\s*\[/.exec(bicep.masked);
  if (param) {
    const open = param.index + param[0].length - 1;
    const body = bicep.masked.slice(open, matchingClose(bicep.masked, open) + 1);
    for (const item of body.matchAll(/\{([^{}]*)\}/g)) {
      const name = /\bname:\s*'(\w+)'/.exec(item[1])?.[1];
      const allow = /\ballow:\s*(\S+)/.exec(item[1])?.[1];
      if (name && allow) found.push({ name, allow });
    }
  }
  for (const open of resourcesOfType(bicep, 'Microsoft.Web/sites/basicPublishingCredentialsPolicies')) {
    const body = bicep.masked.slice(open, matchingClose(bicep.masked, open) + 1);
    const name = /\bname:\s*'(\w+)'/.exec(body)?.[1];
    const allow = /\ballow:\s*(\S+)/.exec(body)?.[1];
    if (name && allow) found.push({ name, allow });
  }
  return found;
}

/** The value written for `key:` inside the `module <symbol> … = { … }` block (first occurrence), or undefined. */
export function moduleSetting(bicep: BicepFile, symbol: string, key: string): string | undefined {
  const declaration = new RegExp(`^[ \\t]*module\\s+${symbol}\\s+'[^']*'\\s*=\\s*[^{\\n]*\\{`, 'm').exec(
    bicep.masked,
  );
  if (!declaration) return undefined;
  const open = declaration.index + declaration[0].length - 1;
  const body = bicep.text.slice(open, matchingClose(bicep.masked, open) + 1);
  const maskedBody = bicep.masked.slice(open, matchingClose(bicep.masked, open) + 1);
  const match = new RegExp(`\\b${key}:\\s*([^\\n]+)`).exec(maskedBody);
  return match
    ? body.slice(match.index + match[0].length - match[1].length, match.index + match[0].length).trim()
    : undefined;
}

/** The condition of `module <symbol> '…' = if (<condition>) {`, or undefined when the module is unconditional. */
export function moduleCondition(bicep: BicepFile, symbol: string): string | undefined {
  const match = new RegExp(
    `^[ \\t]*module\\s+${symbol}\\s+'[^']*'\\s*=\\s*if\\s*\\(([^)]*)\\)\\s*\\{`,
    'm',
  ).exec(bicep.text);
  return match?.[1].trim();
}

/** Every `equals: '<value>'` paired with `field: 'operationName'` in the activity log alerts a file declares. */
export function activityLogAlerts(bicep: BicepFile): Array<{
  location?: string;
  scopes: string;
  operationNames: string[];
  category?: string;
  actionGroups: string;
}> {
  const alerts = [];
  for (const open of resourcesOfType(bicep, 'Microsoft.Insights/activityLogAlerts')) {
    const end = matchingClose(bicep.masked, open) + 1;
    const text = bicep.text.slice(open, end);
    const masked = bicep.masked.slice(open, end);
    // Leaf conditions `{ field: '…', equals: '…' }`; positions from the masked text (code only), values from the text.
    const leaf = (field: string) =>
      [...masked.matchAll(/\{([^{}]*)\}/g)]
        .filter((m) => new RegExp(`field:\\s*'${field}'`).test(m[0]))
        .map((m) => {
          const equals = /equals:\s*'/.exec(m[0]);
          if (!equals) return undefined;
          const start = m.index! + equals.index + equals[0].length;
          return text.slice(start, text.indexOf("'", start));
        })
        .filter((value): value is string => value !== undefined);
    alerts.push({
      location: /^\s{2}location:\s*'([^']*)'/m.exec(text)?.[1],
      scopes: /\bscopes:\s*([^\n]*)/.exec(masked)
        ? text.slice(
            /\bscopes:/.exec(masked)!.index,
            masked.indexOf(']', /\bscopes:/.exec(masked)!.index) + 1,
          )
        : '',
      operationNames: leaf('operationName'),
      category: leaf('category')[0],
      actionGroups: /\bactionGroups:\s*([^\n]*)/.exec(text)?.[1] ?? '',
    });
  }
  return alerts;
}
