/**
 * xmlDocument (src/parsers/xml.ts) on a real crm_mon capture: the validator decides, not the
 * parser (fast-xml-parser's parser alone accepts a document cut short).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { xmlDocument } from '../../src/parsers/xml';
import { ParseError } from '../../src/runtime/errors';

const text = readFileSync(join(__dirname, '..', 'fixtures', 'real', 'pacemaker', 'healthy', 'frontal1', 'crm_mon.xml'), 'utf8');

describe('xmlDocument', () => {
  test('a real crm_mon document: elements and attributes, lists where asked', () => {
    const doc = xmlDocument('crm_mon XML', text, (n, isAttribute) => !isAttribute && n === 'node');
    const nodes = ((doc['pacemaker-result'] as Record<string, unknown>).nodes as Record<string, unknown>).node as Array<Record<string, string>>;
    expect(nodes.map((n) => [n.name, n.online])).toEqual([
      ['frontal1', 'true'],
      ['frontal2', 'true'],
    ]);
  });
  test('the same document cut short (its last 20 characters gone) is a ParseError naming what and where', () => {
    const cut = text.slice(0, -20);
    expect(() => xmlDocument('crm_mon XML', cut, () => false)).toThrow(ParseError);
    expect(() => xmlDocument('crm_mon XML', cut, () => false)).toThrow(/^cannot parse crm_mon XML: .* \(line \d+\)$/);
  });
});
