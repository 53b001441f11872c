/**
 * Outside the Functions host, @azure/functions prints one "test mode" warning per registration when a
 * trigger file is imported. Import this first in tests that import trigger files; other warnings pass.
 */
const warn = console.warn.bind(console);
console.warn = (...args: unknown[]) => {
  if (typeof args[0] === 'string' && args[0].startsWith('WARNING:') && args[0].includes('test mode')) return;
  warn(...args);
};
export {};
