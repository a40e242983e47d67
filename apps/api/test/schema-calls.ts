// Builds calls from the printed schema: a selection set for any output type, and arguments for
// any field from a table of known values, so tests can call every root field without being
// told about it.
import {
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLOutputType,
  type GraphQLSchema,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  isUnionType,
} from 'graphql';

export type Values = Record<string, unknown>;

/** Fills one argument or input field: `undefined` leaves an optional one out. */
export type Fill = (name: string, type: GraphQLInputType, path: string[]) => unknown;

/** A value for an input type: required fields always, optional ones when `fill` knows them. */
export function valueFor(type: GraphQLInputType, name: string, fill: Fill, path: string[] = []): unknown {
  const known = fill(name, type, path);
  if (known !== undefined) return known;
  const required = isNonNullType(type);
  const inner = required ? type.ofType : type;
  if (!required) return undefined;
  if (isListType(inner)) {
    const item = valueFor(inner.ofType, name, fill, path);
    return item === undefined ? [] : [item];
  }
  if (isInputObjectType(inner)) {
    const out: Values = {};
    for (const field of Object.values(inner.getFields())) {
      if (field.defaultValue !== undefined && fill(field.name, field.type, [...path, name]) === undefined)
        continue;
      const value = valueFor(field.type, field.name, fill, [...path, name]);
      if (value !== undefined) out[field.name] = value;
    }
    return out;
  }
  if (isEnumType(inner)) return inner.getValues()[0]!.value;
  if (isScalarType(inner)) {
    switch (inner.name) {
      case 'Int':
      case 'SafeInt':
        return 1;
      case 'Float':
        return 1;
      case 'Boolean':
        return true;
      case 'DateTime':
        return new Date().toISOString();
      default:
        return 'x';
    }
  }
  return undefined;
}

export function argumentsFor(args: readonly GraphQLArgument[], fill: Fill): Values {
  const out: Values = {};
  for (const arg of args) {
    if (arg.defaultValue !== undefined && fill(arg.name, arg.type, []) === undefined) continue;
    const value = valueFor(arg.type, arg.name, fill);
    if (value !== undefined) out[arg.name] = value;
  }
  return out;
}

const literal = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(literal).join(', ')}]`;
  if (value && typeof value === 'object')
    return `{${Object.entries(value)
      .map(([k, v]) => `${k}: ${literal(v)}`)
      .join(', ')}}`;
  return JSON.stringify(value);
};

/** Enum values travel as literals in nested selections; everything else as JSON. */
function inlineArgs(args: readonly GraphQLArgument[], fill: Fill): string {
  const parts: string[] = [];
  for (const arg of args) {
    if (arg.defaultValue !== undefined && fill(arg.name, arg.type, []) === undefined) continue;
    const value = valueFor(arg.type, arg.name, fill);
    if (value === undefined) continue;
    parts.push(`${arg.name}: ${inlineValue(arg.type, value)}`);
  }
  return parts.length ? `(${parts.join(', ')})` : '';
}

function inlineValue(type: GraphQLInputType, value: unknown): string {
  const inner = isNonNullType(type) ? type.ofType : type;
  if (isListType(inner) && Array.isArray(value))
    return `[${value.map((v) => inlineValue(inner.ofType, v)).join(', ')}]`;
  if (isEnumType(inner)) return String(value);
  if (isInputObjectType(inner) && value && typeof value === 'object') {
    const fields = inner.getFields();
    return `{${Object.entries(value)
      .map(([k, v]) => `${k}: ${fields[k] ? inlineValue(fields[k].type, v) : literal(v)}`)
      .join(', ')}}`;
  }
  return literal(value);
}

/**
 * Every scalar field of the type, and object fields `depth` levels down, with arguments from
 * `fill` (lists as the first 3).
 */
export function selectionFor(type: GraphQLOutputType, depth: number, fill: Fill): string {
  const named = getNamedType(type);
  if (isUnionType(named) || isInterfaceType(named)) return '{ __typename }';
  if (!isObjectType(named)) return '';
  const parts = ['__typename'];
  for (const field of Object.values(named.getFields()) as GraphQLField<unknown, unknown>[]) {
    const fieldType = getNamedType(field.type);
    const leaf = isScalarType(fieldType) || isEnumType(fieldType);
    if (!leaf && depth <= 0) continue;
    const args = inlineArgs(field.args, (name, t, path) =>
      name === 'first' && path.length === 0 ? 3 : fill(name, t, path),
    );
    const sub = leaf ? '' : selectionFor(field.type, depth - 1, fill);
    if (!leaf && sub === '{ __typename }' && !isUnionType(fieldType) && !isInterfaceType(fieldType)) continue;
    parts.push(`${field.name}${args} ${sub}`.trim());
  }
  return `{ ${parts.join(' ')} }`;
}

/**
 * The selection split into one per field of the object (of a connection's nodes), so that one
 * refused or failing field, nulling its parents, hides nothing else.
 */
export function selectionsFor(type: GraphQLOutputType, depth: number, fill: Fill): string[] {
  const named = getNamedType(type);
  if (!isObjectType(named)) return [selectionFor(type, depth, fill)];
  const node = named.getFields().edges && getNamedType(named.getFields().edges!.type);
  if (node && isObjectType(node) && node.getFields().node)
    return selectionsFor(node.getFields().node!.type, depth, fill).map((s) => `{ edges { node ${s} } }`);
  const whole = selectionFor(type, depth, fill);
  const inner = whole.slice(2, -2);
  // Top-level parts of the selection: split on spaces outside braces and parentheses.
  const parts: string[] = [];
  let level = 0;
  let current = '';
  for (const ch of inner) {
    if (ch === '{' || ch === '(' || ch === '[') level++;
    if (ch === '}' || ch === ')' || ch === ']') level--;
    if (ch === ' ' && level === 0 && current && !/^\s*$/.test(current)) {
      parts.push(current);
      current = '';
      continue;
    }
    current += ch;
  }
  if (current.trim()) parts.push(current);
  // A field followed by its arguments or selection was split apart: join them back.
  const fields: string[] = [];
  for (const part of parts) {
    if ((part.startsWith('{') || part.startsWith('(')) && fields.length)
      fields[fields.length - 1] += ` ${part}`;
    else fields.push(part);
  }
  const key = fields.includes('id') ? '__typename id' : '__typename';
  return fields.filter((f) => f !== '__typename' && f !== 'id').map((f) => `{ ${key} ${f} }`);
}

/** Documents calling one root field with its arguments as variables. */
export function operationsFor(
  schema: GraphQLSchema,
  kind: 'query' | 'mutation',
  name: string,
  depth: number,
  fill: Fill,
  split = false,
) {
  const root = kind === 'query' ? schema.getQueryType()! : schema.getMutationType()!;
  const field = root.getFields()[name]!;
  const variables = argumentsFor(field.args, fill);
  const declared = field.args.filter((a) => a.name in variables);
  const header = declared.length ? `(${declared.map((a) => `$${a.name}: ${a.type}`).join(', ')})` : '';
  const passed = declared.length ? `(${declared.map((a) => `${a.name}: $${a.name}`).join(', ')})` : '';
  const selections = split ? selectionsFor(field.type, depth, fill) : [selectionFor(field.type, depth, fill)];
  return {
    queries: selections.map((selection) => `${kind}${header} { ${name}${passed} ${selection} }`),
    variables,
  };
}
