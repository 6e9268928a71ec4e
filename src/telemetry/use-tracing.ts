// A span around each GraphQL execution while tracing is on (see tracing.ts): named by the operation,
// with its type and name and, when it failed, the error codes. The document, its variables and the
// result are never recorded: an inline argument or a result can hold a secret.
// Placed after the plugins that replace the execute function (graphql-jit), so it wraps theirs.
import type { Plugin } from 'graphql-yoga';
import { Kind, type DefinitionNode, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import { activeTracer } from './tracing.js';

const OPERATION_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

export function useTracing(): Plugin {
  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      const tracer = activeTracer();
      if (!tracer) return;
      const operation = (args.document as DocumentNode).definitions.find(
        (definition: DefinitionNode): definition is OperationDefinitionNode =>
          definition.kind === Kind.OPERATION_DEFINITION && (!args.operationName || definition.name?.value === args.operationName),
      );
      const type = operation?.operation ?? 'unknown';
      const name = operation?.name?.value && OPERATION_NAME.test(operation.name.value) ? operation.name.value : 'anonymous';
      setExecuteFn((executeArgs) =>
        tracer.inSpan(`graphql.${type} ${name}`, { 'graphql.operation.type': type, 'graphql.operation.name': name }, async (span) => {
          const result = await executeFn(executeArgs);
          const errors = (result as { errors?: ReadonlyArray<{ extensions?: { code?: unknown } }> }).errors;
          if (errors?.length) {
            const codes = [...new Set(errors.map((error) => (typeof error.extensions?.code === 'string' ? error.extensions.code : 'INTERNAL')))];
            span.setAttributes({ 'graphql.error.codes': codes.join(',') });
            span.fail(codes[0]!);
          }
          return result;
        }),
      );
    },
  };
}
