/**
 * IAM policy statements in one shape, whether they come from an `aws_iam_policy_document` data
 * source or from policy JSON.
 */
import { asList, Json } from "./terraform-json";

/** An IAM policy statement, from an `aws_iam_policy_document` block or from policy JSON. */
export interface Statement {
  readonly sid?: string;
  readonly effect: "Allow" | "Deny";
  readonly actions: readonly string[];
  readonly notActions: readonly string[];
  readonly resources: readonly string[];
  readonly notResources: readonly string[];
  readonly principals: readonly Principal[];
  readonly notPrincipals: readonly Principal[];
  readonly conditions: readonly Condition[];
}

export interface Principal {
  /** `AWS`, `Service`, `Federated` or `*`. */
  readonly type: string;
  readonly identifiers: readonly string[];
}

export interface Condition {
  readonly test: string;
  readonly variable: string;
  readonly values: readonly string[];
}

const strings = (value: unknown): string[] => asList(value).map(String);

const documentPrincipals = (value: unknown): Principal[] =>
  asList<Json>(value).map((p) => ({ type: String(p.type), identifiers: strings(p.identifiers) }));

/** The attribute names of a statement's plain fields, in a document block and in policy JSON. */
const FIELDS = {
  document: ["sid", "effect", "actions", "not_actions", "resources", "not_resources"],
  json: ["Sid", "Effect", "Action", "NotAction", "Resource", "NotResource"],
} as const;

type PlainFields = Pick<
  Statement,
  "sid" | "effect" | "actions" | "notActions" | "resources" | "notResources"
>;

function plainFields(s: Json, names: (typeof FIELDS)[keyof typeof FIELDS]): PlainFields {
  const [sid, effect, actions, notActions, resources, notResources] = names;
  return {
    sid: s[sid] === undefined ? undefined : String(s[sid]),
    effect: s[effect] === "Deny" ? "Deny" : "Allow",
    actions: strings(s[actions]),
    notActions: strings(s[notActions]),
    resources: strings(s[resources]),
    notResources: strings(s[notResources]),
  };
}

/** Statements of an `aws_iam_policy_document` data source body. */
export function documentStatements(body: Json): Statement[] {
  return asList<Json>(body.statement).map((s) => ({
    ...plainFields(s, FIELDS.document),
    principals: documentPrincipals(s.principals),
    notPrincipals: documentPrincipals(s.not_principals),
    conditions: asList<Json>(s.condition).map((c) => ({
      test: String(c.test),
      variable: String(c.variable),
      values: strings(c.values),
    })),
  }));
}

function jsonPrincipals(value: unknown): Principal[] {
  if (value === undefined) return [];
  if (value === "*") return [{ type: "*", identifiers: ["*"] }];
  if (typeof value !== "object" || value === null) return [];
  return Object.entries(value).map(([type, ids]) => ({ type, identifiers: strings(ids) }));
}

/** Statements of an IAM policy in JSON (`{"Version": ..., "Statement": [...]}`). */
export function jsonPolicyStatements(policy: Json): Statement[] {
  return asList<Json>(policy.Statement).map((s) => ({
    ...plainFields(s, FIELDS.json),
    principals: jsonPrincipals(s.Principal),
    notPrincipals: jsonPrincipals(s.NotPrincipal),
    conditions: Object.entries((s.Condition ?? {}) as Record<string, Json>).flatMap(
      ([test, byVariable]) =>
        Object.entries(byVariable).map(([variable, values]) => ({
          test,
          variable,
          values: strings(values),
        })),
    ),
  }));
}

/** What a `policy`-like attribute holds. */
export type PolicySource =
  | { readonly kind: "document"; readonly address: string; readonly statements: Statement[] }
  | { readonly kind: "inline"; readonly statements: Statement[] }
  | { readonly kind: "opaque"; readonly text: string };

/** The statements of a policy source; none when it cannot be read. */
export const sourceStatements = (source: PolicySource): readonly Statement[] =>
  source.kind === "opaque" ? [] : source.statements;
