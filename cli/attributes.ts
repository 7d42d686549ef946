/**
 * Message attributes given on the command line (`--attribute kind=order`, repeated), which
 * subscription filter policies match on. The rules for names are the producer API's, so what
 * the CLI sends by any path the API would accept too.
 */
import { InvalidArgumentError } from "commander";
import { attributeNameProblem, MAX_ATTRIBUTES } from "../lambdas/producer-api/attributes";
import { IDEMPOTENCY_ATTRIBUTE } from "../lambdas/shared/idempotency-key";

/** One attribute as SNS and SQS take it. */
export interface AttributeValue {
  readonly DataType: "String" | "Number";
  readonly StringValue: string;
}

/** Attributes by name, in the order given. */
export type MessageAttributes = Readonly<Record<string, AttributeValue>>;

/** The CLI adds the idempotency key to every message; the rest of SNS's 10 are the user's. */
export const MAX_CLI_ATTRIBUTES = MAX_ATTRIBUTES - 1;

const OPTION = /^([^=:]*)(?::(String|Number))?=(.*)$/s;
// What SNS filter policies compare: -1e9 to 1e9, five decimals; no exponent, hex or "+".
const DECIMAL = /^-?\d{1,9}(\.\d{1,5})?$/;

/**
 * Parses one `--attribute` value (`name=value`, `name:String=value` or `name:Number=42`) and
 * adds it to those given before. Commander calls it once per occurrence.
 *
 * @throws InvalidArgumentError naming what is wrong, once per mistake
 */
export function parseAttributeOption(
  text: string,
  previous: MessageAttributes = {},
): MessageAttributes {
  const match = OPTION.exec(text);
  if (!match) {
    throw new InvalidArgumentError("expected name=value, name:String=value or name:Number=n.");
  }
  const [, name, type = "String", value] = match;
  const nameProblem = attributeNameProblem(name);
  if (nameProblem !== undefined) throw new InvalidArgumentError(`${nameProblem}.`);
  if (Object.hasOwn(previous, name)) {
    throw new InvalidArgumentError(`attribute "${name}" is given twice.`);
  }
  if (value === "") throw new InvalidArgumentError(`attribute "${name}" has an empty value.`);
  if (type === "Number" && !DECIMAL.test(value)) {
    throw new InvalidArgumentError(
      `attribute "${name}" is not a decimal number below 1e9 with at most 5 decimals (e.g. 42 or -1.5).`,
    );
  }
  if (Object.keys(previous).length >= MAX_CLI_ATTRIBUTES) {
    throw new InvalidArgumentError(
      `at most ${MAX_CLI_ATTRIBUTES} attributes: SNS takes ${MAX_ATTRIBUTES} (with raw delivery to SQS as well) and the idempotency key is one.`,
    );
  }
  return {
    ...previous,
    [name]: { DataType: type as AttributeValue["DataType"], StringValue: value },
  };
}

/** The attributes as the producer API's `_attributes` object: strings, and numbers as numbers. */
export function apiAttributes(attributes: MessageAttributes): Record<string, string | number> {
  return Object.fromEntries(
    Object.entries(attributes).map(([name, a]) => [
      name,
      a.DataType === "Number" ? Number(a.StringValue) : a.StringValue,
    ]),
  );
}

/** The attributes and a message's idempotency key, as SNS and SQS take message attributes. */
export function withIdempotencyKey(attributes: MessageAttributes, key: string): MessageAttributes {
  return { ...attributes, [IDEMPOTENCY_ATTRIBUTE]: { DataType: "String", StringValue: key } };
}
