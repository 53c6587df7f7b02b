/**
 * Escapes the characters that let a peer forge or disguise a log line:
 * C0 controls (a newline starts a new line, so a client named
 * `x\n{"level":30,...}` would write a fake JSON line), DEL and the C1
 * controls (ESC and CSI sequences recolour or rewrite a terminal), and the
 * Unicode line separators and bidirectional overrides (they break or reorder
 * a line in viewers that honour them). Each becomes a visible escape
 * (`\n`, `\r`, `\t`, otherwise `\uXXXX`); everything else is kept as it is,
 * backslashes included, so ordinary names read unchanged.
 *
 * Every string a peer chose (client names, resource names, reasons, the text
 * of its bad messages) goes through this before it reaches a log line: the
 * coordinator's logger wrapper ({@link printableLogger}) applies it to every
 * line, and lock-server applies it again to every message it writes.
 */
export function escapeControlCharacters(text: string): string {
  let index = 0;
  while (index < text.length && !needsEscape(text.charCodeAt(index))) index++;
  if (index === text.length) return text;
  let escaped = text.slice(0, index);
  for (; index < text.length; index++) {
    const code = text.charCodeAt(index);
    escaped += needsEscape(code) ? escapeOne(code) : text[index];
  }
  return escaped;
}

function needsEscape(code: number): boolean {
  return (
    code < 0x20 ||
    (code >= 0x7f && code <= 0x9f) ||
    code === 0x200e ||
    code === 0x200f ||
    (code >= 0x2028 && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069)
  );
}

function escapeOne(code: number): string {
  if (code === 0x0a) return '\\n';
  if (code === 0x0d) return '\\r';
  if (code === 0x09) return '\\t';
  return `\\u${code.toString(16).padStart(4, '0')}`;
}
