// The browser rule for text from the estate (docs/security.md), the same
// as graph/safetext on the server: characters that act instead of showing
// — C0/C1 controls and DEL, bidirectional overrides and isolates, the line
// and paragraph separators, zero-width and other invisible format
// characters (Unicode Cf), Hangul fillers, and lone surrogates (the
// browser's form of invalid UTF-8) — are shown as visible escapes (\x1b,
// \n, \u202e), so "r-rtl-evil\u202egpj.exe" reads as what it is. Every
// string the explorer shows passes through visible() (the h() element
// builder and the graph labels do it), and every element holding estate
// text is a bidirectional island (style.css: unicode-bidi: isolate; <bdi>
// for names inside running text).

const fillers = new Set([0x115f, 0x1160, 0x3164, 0xffa0]);
const format = /\p{Cf}/u;

function acts(cp: number, ch: string): boolean {
  if (cp < 0x20 || cp === 0x7f || (cp >= 0x80 && cp <= 0x9f)) return true;
  if (cp === 0x2028 || cp === 0x2029 || fillers.has(cp)) return true;
  if (cp >= 0xd800 && cp <= 0xdfff) return true; // a lone surrogate
  return format.test(ch);
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

/** visible returns s with every acting character shown as an escape. */
export function visible(s: string): string {
  let out = '';
  let plain = true;
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (!acts(cp, ch)) {
      out += ch;
      continue;
    }
    plain = false;
    if (ch === '\t') out += '\\t';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (cp < 0x100) out += '\\x' + hex(cp, 2);
    else out += '\\u' + hex(cp, 4);
  }
  return plain ? s : out;
}
