// Elicitation (a server asking the user for input during a call, MCP form mode): the fields of the
// requested schema with their defaults, and the user's text for a field checked into its type. Pure:
// the form itself is the host's (src/host/mcp/elicitForm.ts).

export interface ElicitField {
  name: string;
  label: string;
  description?: string;
  type: 'string' | 'number' | 'integer' | 'boolean';
  /** Allowed values of a string field. */
  options?: string[];
  /** The schema's default, pre-filled in the form (SEP-1034). */
  default?: string | number | boolean;
  required: boolean;
}

export type FieldValue = string | number | boolean;

/** The fields of a requested schema (a flat object of primitive properties), in order. */
export function elicitationFields(schema: unknown): ElicitField[] {
  const object = (typeof schema === 'object' && schema !== null ? schema : {}) as { properties?: Record<string, Record<string, unknown>>; required?: unknown };
  const required = Array.isArray(object.required) ? object.required.filter((name): name is string => typeof name === 'string') : [];
  return Object.entries(object.properties ?? {}).map(([name, property]) => {
    const type = property['type'] === 'number' || property['type'] === 'integer' || property['type'] === 'boolean' ? property['type'] : 'string';
    const options = Array.isArray(property['enum'])
      ? property['enum'].filter((value): value is string => typeof value === 'string')
      : Array.isArray(property['oneOf'])
        ? (property['oneOf'] as Array<{ const?: unknown }>).map((entry) => entry.const).filter((value): value is string => typeof value === 'string')
        : undefined;
    const fallback = property['default'];
    return {
      name,
      label: typeof property['title'] === 'string' ? property['title'] : name,
      description: typeof property['description'] === 'string' ? property['description'] : undefined,
      type,
      options: options && options.length > 0 ? options : undefined,
      default: typeof fallback === 'string' || typeof fallback === 'number' || typeof fallback === 'boolean' ? fallback : undefined,
      required: required.includes(name),
    };
  });
}

/** The values a user gets by accepting every pre-filled field as it is. */
export function defaultValues(fields: readonly ElicitField[]): Record<string, FieldValue> {
  return Object.fromEntries(fields.filter((field) => field.default !== undefined).map((field) => [field.name, field.default!]));
}

/** The user's text for a field, as its type; an empty optional field is left out (undefined). */
export function parseFieldValue(field: ElicitField, text: string): { ok: true; value: FieldValue | undefined } | { ok: false; message: string } {
  const trimmed = text.trim();
  if (trimmed === '') {
    return field.required ? { ok: false, message: `${field.label} is required.` } : { ok: true, value: undefined };
  }
  switch (field.type) {
    case 'boolean':
      if (/^(true|yes)$/i.test(trimmed)) {
        return { ok: true, value: true };
      }
      if (/^(false|no)$/i.test(trimmed)) {
        return { ok: true, value: false };
      }
      return { ok: false, message: `${field.label} must be yes or no.` };
    case 'number':
    case 'integer': {
      const value = Number(trimmed);
      if (!Number.isFinite(value) || (field.type === 'integer' && !Number.isInteger(value))) {
        return { ok: false, message: `${field.label} must be ${field.type === 'integer' ? 'a whole number' : 'a number'}.` };
      }
      return { ok: true, value };
    }
    case 'string':
      if (field.options && !field.options.includes(text)) {
        return { ok: false, message: `${field.label} must be one of ${field.options.join(', ')}.` };
      }
      return { ok: true, value: text };
  }
}
