import { z } from 'zod';
import { faultSchema } from '../lab/fault-schema.ts';

/** Fields every fault has; `streamguard fault` takes them as --stream and --line. */
const TARGET_FIELDS = new Set(['stream', 'line', 'kind']);

/** Every object the fault schema accepts (a kind with modes, like proxy, is one object per mode). */
function faultVariants(schema: z.ZodType = faultSchema): z.ZodObject[] {
  if (schema instanceof z.ZodDiscriminatedUnion) return (schema.options as z.ZodType[]).flatMap((option) => faultVariants(option));
  if (schema instanceof z.ZodObject) return [schema];
  throw new TypeError(`fault schema: unexpected ${schema.def.type} among the fault variants`);
}

function literal(schema: z.ZodType): string {
  if (!(schema instanceof z.ZodLiteral)) throw new TypeError(`fault schema: expected a literal, got ${schema.def.type}`);
  return String(schema.value);
}

/** The kinds the lab accepts, in the schema's order: what `--kind` takes. */
export function faultKinds(): string[] {
  return [...new Set(faultVariants().map((v) => literal(v.shape.kind as z.ZodType)))];
}

/** `bytesPerSecond` → `--bytes-per-second`: the fault command's option for a schema field. */
export function faultFieldOption(field: string): string {
  return `--${field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** What an option's value must be, read from the field's schema: `-900..900`, `rtmp|hls`, `N`. */
function valueShape(schema: z.ZodType): string {
  if (schema instanceof z.ZodOptional) return valueShape(schema.unwrap() as z.ZodType);
  if (schema instanceof z.ZodLiteral) return String(schema.value);
  if (schema instanceof z.ZodEnum) return schema.options.join('|');
  if (schema instanceof z.ZodNumber) {
    const { minValue: min, maxValue: max } = schema;
    return min !== null && max !== null && max < Number.MAX_SAFE_INTEGER ? `${min}..${max}` : 'N';
  }
  return 'VALUE';
}

/** One line per fault form: its kind and the options (with their ranges) it needs or allows. */
export function faultForms(): string[] {
  return faultVariants().map((variant) => {
    const fields = Object.entries(variant.shape as Record<string, z.ZodType>).filter(([field]) => !TARGET_FIELDS.has(field));
    const options = fields.map(([field, schema]) => {
      const option = `${faultFieldOption(field)} ${valueShape(schema)}`;
      return schema instanceof z.ZodOptional ? `[${option}]` : option;
    });
    return [literal(variant.shape.kind as z.ZodType), ...options].join(' ');
  });
}
