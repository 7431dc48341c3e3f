import type { BracketObject, BracketValue } from "../../../app/crm/bitrix24/bracket-form.js";

/** 5.1: the property types a robot or activity may declare. */
const PROPERTY_TYPES = new Set(["bool", "date", "datetime", "double", "file", "int", "select", "string", "text", "user"]);
/** 5.1: "Property keys must start with a letter, [A-Za-z0-9_]". */
const PROPERTY_KEY = /^[A-Za-z][A-Za-z0-9_]*$/;
/** 5.1: codes are [A-Za-z0-9._-]. */
const CODE = /^[A-Za-z0-9._-]+$/;

const isObject = (v: BracketValue | undefined): v is BracketObject => typeof v === "object" && v !== null && !Array.isArray(v);

/** Why one PROPERTIES / RETURN_PROPERTIES block breaks 5.1's rules, or undefined. */
function blockProblem(block: BracketValue | undefined, where: string, withOptions: boolean): string | undefined {
  if (block === undefined) return undefined;
  if (!isObject(block)) return `${where} must be an object`;
  for (const [key, prop] of Object.entries(block)) {
    if (!PROPERTY_KEY.test(key)) return `${where}: key ${key} must start with a letter, [A-Za-z0-9_]`;
    if (!isObject(prop)) return `${where}[${key}] must be an object`;
    if (typeof prop.Type !== "string" || !PROPERTY_TYPES.has(prop.Type)) return `${where}[${key}]: unknown Type ${String(prop.Type)}`;
    if (prop.Name === undefined) return `${where}[${key}]: Name is required`;
    for (const flag of ["Required", "Multiple"]) {
      if (prop[flag] !== undefined && prop[flag] !== "Y" && prop[flag] !== "N") return `${where}[${key}]: ${flag} must be Y or N`;
    }
    if (!withOptions) continue;
    if (prop.Type === "select") {
      // PHP reads an empty key (`Options[]`) as an index, so "" can never arrive as a key
      if (!isObject(prop.Options) || Object.keys(prop.Options).length === 0) return `${where}[${key}]: a select needs Options`;
      if (Object.values(prop.Options).some((label) => typeof label !== "string")) return `${where}[${key}]: Options labels must be strings`;
      if (typeof prop.Default === "string" && !Object.hasOwn(prop.Options, prop.Default)) return `${where}[${key}]: Default ${prop.Default} is not an option key`;
    } else if (prop.Options !== undefined) {
      return `${where}[${key}]: Options belong to select properties`;
    }
  }
  return undefined;
}

/** The fields of an add, or the FIELDS of an update (`{CODE, FIELDS:{...}}`, 5.1). */
function fieldsProblem(fields: BracketObject, update: boolean): string | undefined {
  if (!update) {
    if (typeof fields.HANDLER !== "string" || fields.HANDLER === "") return "HANDLER is required";
    if (fields.NAME === undefined) return "NAME is required";
  }
  return blockProblem(fields.PROPERTIES, "PROPERTIES", true) ?? blockProblem(fields.RETURN_PROPERTIES, "RETURN_PROPERTIES", false);
}

/**
 * `ERROR_ACTIVITY_VALIDATION_FAILURE` (5.1) for a bizproc.robot / bizproc.activity add or update
 * whose properties break the sheet's rules; undefined for a valid call and any other method.
 */
export function bizprocRefusal(method: string, params: BracketObject): { error: string; error_description: string } | undefined {
  const match = /^bizproc\.(robot|activity)\.(add|update)$/.exec(method);
  if (!match) return undefined;
  const refuse = (why: string) => ({ error: "ERROR_ACTIVITY_VALIDATION_FAILURE", error_description: why });
  if (typeof params.CODE !== "string" || !CODE.test(params.CODE)) return refuse("CODE must be [A-Za-z0-9._-]");
  if (match[2] === "update") {
    if (!isObject(params.FIELDS)) return refuse("FIELDS is required");
    const problem = fieldsProblem(params.FIELDS, true);
    return problem ? refuse(problem) : undefined;
  }
  const problem = fieldsProblem(params, false);
  return problem ? refuse(problem) : undefined;
}
