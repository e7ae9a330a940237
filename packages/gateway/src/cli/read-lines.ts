// Splits a byte stream into lines without ever holding more than `maxBytes` of one line, so a huge
// line is reported as too long instead of exhausting memory.

export type Line = { readonly number: number } & (
  { readonly tooLong: false; readonly text: string } | { readonly tooLong: true }
);

export async function* readBoundedLines(
  input: AsyncIterable<Uint8Array>,
  maxBytes: number,
): AsyncGenerator<Line> {
  let parts: Buffer[] = [];
  let length = 0;
  let tooLong = false;
  let number = 0;
  const finish = (): Line => {
    number += 1;
    const line: Line = tooLong
      ? { number, tooLong: true }
      : { number, tooLong: false, text: Buffer.concat(parts, length).toString('utf8') };
    parts = [];
    length = 0;
    tooLong = false;
    return line;
  };
  for await (const chunk of input) {
    let buffer = Buffer.from(chunk);
    for (let newline = buffer.indexOf(0x0a); newline !== -1; newline = buffer.indexOf(0x0a)) {
      take(buffer.subarray(0, newline));
      yield finish();
      buffer = buffer.subarray(newline + 1);
    }
    take(buffer);
  }
  if (length > 0 || tooLong) yield finish();

  function take(piece: Buffer): void {
    if (tooLong || piece.length === 0) return;
    if (length + piece.length > maxBytes) {
      tooLong = true;
      parts = [];
      length = 0;
      return;
    }
    parts.push(piece);
    length += piece.length;
  }
}
