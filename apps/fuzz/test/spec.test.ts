import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode } from '@baton/core';
import { describe, expect, it } from 'vitest';
import { repositoryRoot } from '../src/server-process.js';
import { SPEC_ERROR_CODES, SPEC_FIELD_ORDER } from '../src/spec.js';

const protocol = readFileSync(join(repositoryRoot, 'docs', 'protocol.md'), 'utf8');

describe("the oracle's copy of docs/protocol.md", () => {
  it('has exactly the error codes of the table in section 6, in its order', () => {
    const section = protocol.slice(protocol.indexOf('## 6. Errors'), protocol.indexOf('## 7. Limits'));
    const codes = [...section.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((match) => match[1]);
    expect(codes).toEqual([...SPEC_ERROR_CODES]);
  });

  it("names the same codes as the core's ErrorCode (a code added to one must be added to the other)", () => {
    expect(new Set(Object.values(ErrorCode))).toEqual(new Set(SPEC_ERROR_CODES));
  });

  it("gives each server message's fields in the order of the spec's examples", () => {
    for (const line of protocol.split('\n').filter((each) => each.startsWith('<- {'))) {
      const text = line.slice(3).replace(/\s+\(.*\)\s*$/, '').replace(/…/g, '');
      if (!text.endsWith('}')) continue;
      const op = /"op":"([a-z-]+)"/.exec(text)![1]!;
      const keys = [...text.matchAll(/[{,]"([a-zA-Z]+)":/g)].map((match) => match[1]!).filter((key) => SPEC_FIELD_ORDER[op]!.includes(key));
      const order = SPEC_FIELD_ORDER[op]!.filter((key) => keys.includes(key));
      expect(keys, line).toEqual(order);
    }
  });
});
