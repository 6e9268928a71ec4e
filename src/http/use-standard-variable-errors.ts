// graphql-jit coerces variables with code it compiles per document, and where a nested input field is
// wrong it names the field as if it were the variable: 'Variable "$service" got invalid value …' for
// `$input: { service: NOPE }`, an operation with no $service. When its answer is such a variable
// error, the errors are computed again by graphql-js's own coercion, which names the variable and the
// path inside it ('Variable "$input" got invalid value … at "input.service"; Value … does not exist
// in "Service" enum.'). Only a request whose variables were refused pays for it.
import { getOperationAST, getVariableValues, type ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';

type ExecuteHooks = Exclude<Awaited<ReturnType<NonNullable<Plugin['onExecute']>>>, void>;

const VARIABLE_ERROR = /^Variable "\$/;

function isVariableRefusal(result: unknown): result is ExecutionResult {
  if (!result || typeof result !== 'object' || Symbol.asyncIterator in result) return false;
  const { data, errors } = result as ExecutionResult;
  return data == null && Boolean(errors?.length) && errors!.every((error) => !error.path && VARIABLE_ERROR.test(error.message));
}

export function useStandardVariableErrors(): Plugin {
  // One hooks object for every execution: the hot path allocates nothing for this plugin.
  const hooks: ExecuteHooks = {
    onExecuteDone({ args, result, setResult }) {
      if (!isVariableRefusal(result)) return;
      const operation = getOperationAST(args.document, args.operationName);
      if (!operation) return;
      const coerced = getVariableValues(args.schema, operation.variableDefinitions ?? [], (args.variableValues ?? {}) as Record<string, unknown>, { maxErrors: 50 });
      if (coerced.errors?.length) setResult({ errors: coerced.errors });
    },
  };
  return { onExecute: () => hooks };
}
