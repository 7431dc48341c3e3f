import { z } from "zod";

/** PHP arrays with keys 0..n-1 parse as arrays, others (sparse, keyed) as objects: accept both. */
function listOf<S extends z.ZodType>(item: S) {
  return z.union([z.array(item), z.record(z.string(), item).transform((o) => Object.values(o))]);
}

const id = z.string().trim().min(1);

/**
 * `files[]` of an operator message: `link`, `name`, `type` are what open-source connectors read
 * [code]; `size` and whether `link` needs auth are UNVERIFIED (3.7, 10.1).
 */
const operatorFileSchema = z.looseObject({
  link: z.string().optional(),
  name: z.string().optional(),
  type: z.string().optional(),
});

const operatorMessageSchema = z.looseObject({
  im: z.looseObject({ chat_id: id, message_id: id }),
  message: z.looseObject({
    user_id: z.string().optional(),
    text: z.string().optional(),
    files: listOf(operatorFileSchema).optional(),
  }),
  chat: z.looseObject({ id }),
});
export type OperatorMessage = z.output<typeof operatorMessageSchema>;

/** ONIMCONNECTORMESSAGEADD (3.7), after the bracket parse; every value is a string (section 0). */
export const messageAddEventSchema = z.object({
  data: z.looseObject({
    CONNECTOR: id,
    LINE: z.string().regex(/^\d+$/, { error: "must be an Open Line id" }),
    MESSAGES: listOf(operatorMessageSchema),
  }),
});

/** ONIMCONNECTORLINEDELETE: `data` is the line id itself (3.9). */
export const lineDeleteEventSchema = z.object({ data: z.string().regex(/^\d+$/) });

/**
 * ONIMCONNECTORSTATUSDELETE: lowercase `data[connector]`, `data[line]` (3.9); upper case is
 * accepted too, as every other connector event spells them so.
 */
export const statusDeleteEventSchema = z
  .object({
    data: z.looseObject({
      connector: z.string().optional(),
      line: z.string().optional(),
      CONNECTOR: z.string().optional(),
      LINE: z.string().optional(),
    }),
  })
  .transform(({ data }) => ({ connector: data.connector ?? data.CONNECTOR, line: data.line ?? data.LINE }))
  .pipe(z.object({ connector: id, line: z.string().regex(/^\d+$/) }));
