// The ways a JSON value departs from an OpenAPI 3.0 schema, as the documented answers use them
// (type, nullable, enum, required, properties without extra ones unless additionalProperties, items,
// oneOf, format date-time): enough to hold the document to what the service really answers.
type Schema = {
  type?: string;
  nullable?: boolean;
  enum?: unknown[];
  required?: string[];
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  items?: Schema;
  oneOf?: Schema[];
  format?: string;
};

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

export function schemaMismatches(value: unknown, schema: Schema, at = '$'): string[] {
  if (value === null) return schema.nullable || schema.type === undefined ? [] : [`${at}: null, not nullable`];
  if (schema.oneOf) return schema.oneOf.some((s) => schemaMismatches(value, s, at).length === 0) ? [] : [`${at}: matches no oneOf`];
  if (schema.enum && !schema.enum.includes(value)) return [`${at}: ${JSON.stringify(value)} not in ${JSON.stringify(schema.enum)}`];
  switch (schema.type) {
    case undefined:
      return [];
    case 'integer':
      return Number.isInteger(value) ? [] : [`${at}: ${JSON.stringify(value)} is not an integer`];
    case 'number':
      return typeof value === 'number' ? [] : [`${at}: not a number`];
    case 'boolean':
      return typeof value === 'boolean' ? [] : [`${at}: not a boolean`];
    case 'string':
      if (typeof value !== 'string') return [`${at}: ${JSON.stringify(value)} is not a string`];
      return schema.format === 'date-time' && !ISO_INSTANT.test(value) ? [`${at}: ${value} is not an ISO instant`] : [];
    case 'array':
      if (!Array.isArray(value)) return [`${at}: not an array`];
      return schema.items ? value.flatMap((v, i) => schemaMismatches(v, schema.items!, `${at}[${i}]`)) : [];
    case 'object': {
      if (typeof value !== 'object' || Array.isArray(value)) return [`${at}: not an object`];
      const record = value as Record<string, unknown>;
      const properties = schema.properties ?? {};
      const missing = (schema.required ?? []).filter((k) => !(k in record)).map((k) => `${at}.${k}: missing`);
      const extra =
        schema.additionalProperties === true || schema.properties === undefined
          ? []
          : Object.keys(record).filter((k) => !(k in properties)).map((k) => `${at}.${k}: not in the schema`);
      const nested = Object.entries(properties).flatMap(([k, s]) => (k in record ? schemaMismatches(record[k], s, `${at}.${k}`) : []));
      return [...missing, ...extra, ...nested];
    }
    default:
      return [`${at}: schema type ${schema.type} not checked here`];
  }
}
