/**
 * The `/template` command an operator types into a CRM chat whose customer-service window is
 * closed (the "simplest way Bitrix24 allows"): `/template` alone asks for the list,
 * `/template order_ready 00001 "Ivan Petrov"` sends a template with its values in order, and
 * `/template order_ready:ru 00001 | Ivan Petrov` names the language and separates values that
 * contain spaces with `|`.
 */
export interface TemplateCommand {
  /** absent: the operator asked for the list */
  name?: string;
  language?: string;
  params: string[];
}

const COMMAND = /^\s*\/template(?:\s+([\s\S]*))?$/i;

/** Splits on whitespace, keeping "double quoted" or «guillemet» values whole. */
function words(rest: string): string[] {
  const out: string[] = [];
  for (const m of rest.matchAll(/"([^"]*)"|«([^»]*)»|(\S+)/g)) out.push(m[1] ?? m[2] ?? m[3]!);
  return out;
}

export function parseTemplateCommand(text: string): TemplateCommand | undefined {
  const m = COMMAND.exec(text);
  if (!m) return undefined;
  const rest = (m[1] ?? "").trim();
  if (rest === "") return { params: [] };
  const head = /^(\S+)\s*([\s\S]*)$/.exec(rest)!;
  const [name, language] = head[1]!.split(/[:@]/, 2) as [string, string | undefined];
  const tail = head[2]!.trim();
  const params = tail === "" ? [] : tail.includes("|") ? tail.split("|").map((v) => v.trim()) : words(tail);
  return { name, ...(language ? { language } : {}), params };
}
