import { ParseError } from '../runtime/errors';

export type El = Record<string, unknown>;

/**
 * Elements and attributes of an XML text (fast-xml-parser, loaded on first use): whatever it
 * throws (a syntax error, tags nested past its limit) is a ParseError naming WHAT.
 */
export function xmlDocument(what: string, text: string, isList: (name: string, isAttribute: boolean) => boolean): El {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { XMLParser, XMLValidator } = require('fast-xml-parser') as typeof import('fast-xml-parser');
  let valid: ReturnType<typeof XMLValidator.validate>;
  try {
    valid = XMLValidator.validate(text);
    if (valid === true)
      return new XMLParser({
        ignoreAttributes: false,
        attributeNamePrefix: '',
        parseAttributeValue: false,
        parseTagValue: false,
        processEntities: true,
        htmlEntities: false,
        // elements only: an attribute may share a list element's name (<failure node="frontal1">)
        isArray: (name, _path, _leaf, isAttribute) => isList(name, !!isAttribute),
      }).parse(text) as El;
  } catch (e) {
    throw new ParseError(what, e instanceof Error ? e.message : String(e));
  }
  throw new ParseError(what, valid.err.msg, valid.err.line);
}
