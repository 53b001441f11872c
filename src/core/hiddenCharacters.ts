/**
 * Characters a reader cannot see: C0/C1 controls and Unicode format characters (\p{Cf}), among them
 * the bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069) that make text display in
 * another order than it reads ("Trojan Source"), and zero-width characters. In a ticket they can hide
 * or reorder what an approver or an operator sees; in a name they make two names look alike.
 */
export const HIDDEN_CHARACTER = /[\u0000-\u001f\u007f-\u009f\p{Cf}]/u;
const FORMAT_CHARACTERS = /\p{Cf}/gu;

/** The text without format characters; line breaks and tabs (controls) are each renderer's business. */
export function withoutFormatCharacters(text: string): string {
  return text.replace(FORMAT_CHARACTERS, '');
}
