// The catalog: every provider file, in the order `services` lists them. Adding a provider is adding
// its file and one entry here. Each file is validated once, when this module loads.
import box from './box.js';
import contentful from './contentful.js';
import github from './github.js';
import openai from './openai.js';
import { providerFileSchema, type ProviderFile, type ProviderFileInput } from './provider-schema.js';
import salesforce from './salesforce.js';
import spotify from './spotify.js';
import stripe from './stripe.js';
import twilio from './twilio.js';

export const providerFiles: readonly ProviderFileInput[] = [github, spotify, salesforce, stripe, box, contentful, openai, twilio];

/** Parses every file; throws one error naming each file and fact that is wrong. */
export function validateCatalog(files: readonly ProviderFileInput[]): ProviderFile[] {
  const problems: string[] = [];
  const parsed: ProviderFile[] = [];
  files.forEach((file, index) => {
    const result = providerFileSchema.safeParse(file);
    const label = typeof file?.name === 'string' ? file.name : `#${index}`;
    if (!result.success) {
      for (const issue of result.error.issues) problems.push(`${label}: ${issue.path.join('.') || '(file)'}: ${issue.message}`);
      return;
    }
    parsed.push(result.data);
  });
  const seen = new Set<string>();
  for (const file of parsed) {
    if (seen.has(file.name)) problems.push(`${file.name}: listed twice`);
    seen.add(file.name);
  }
  if (problems.length > 0) throw new Error(`The provider catalog is invalid:\n${problems.join('\n')}`);
  return parsed;
}

export const catalog: readonly ProviderFile[] = Object.freeze(validateCatalog(providerFiles));
