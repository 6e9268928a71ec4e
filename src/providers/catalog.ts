// The catalog: every provider file, in the order `services` lists them. Adding a provider is adding
// its file and one entry here. Each file is validated once: when this module loads, or by the build.
import airtable from './airtable.js';
import algolia from './algolia.js';
import anthropic from './anthropic.js';
import asana from './asana.js';
import atlassian from './atlassian.js';
import bitbucket from './bitbucket.js';
import box from './box.js';
import calendly from './calendly.js';
import clickup from './clickup.js';
import contentful from './contentful.js';
import digitalocean from './digitalocean.js';
import discord from './discord.js';
import docusign from './docusign.js';
import dropbox from './dropbox.js';
import figma from './figma.js';
import fitbit from './fitbit.js';
import github from './github.js';
import gitlab from './gitlab.js';
import google from './google.js';
import heroku from './heroku.js';
import hubspot from './hubspot.js';
import intercom from './intercom.js';
import linear from './linear.js';
import linkedin from './linkedin.js';
import mailchimp from './mailchimp.js';
import mailgun from './mailgun.js';
import microsoft from './microsoft.js';
import miro from './miro.js';
import monday from './monday.js';
import netlify from './netlify.js';
import notion from './notion.js';
import openai from './openai.js';
import paypal from './paypal.js';
import pinterest from './pinterest.js';
import postmark from './postmark.js';
import quickbooks from './quickbooks.js';
import reddit from './reddit.js';
import resend from './resend.js';
import salesforce from './salesforce.js';
import sendgrid from './sendgrid.js';
import shopify from './shopify.js';
import slack from './slack.js';
import spotify from './spotify.js';
import square from './square.js';
import strava from './strava.js';
import stripe from './stripe.js';
import todoist from './todoist.js';
import trello from './trello.js';
import twilio from './twilio.js';
import twitch from './twitch.js';
import typeform from './typeform.js';
import vercel from './vercel.js';
import webflow from './webflow.js';

import twitter from './twitter.js';
import xero from './xero.js';
import zendesk from './zendesk.js';
import zoom from './zoom.js';
import { providerFileSchema, type ProviderFile, type ProviderFileInput } from './provider-schema.js';

export const providerFiles: readonly ProviderFileInput[] = [
  github, spotify, salesforce, stripe, box, contentful, openai, twilio,
  webflow, netlify, google, microsoft, slack, notion, linear, gitlab,
  bitbucket, atlassian, asana, dropbox, zoom, hubspot, zendesk, intercom,
  shopify, quickbooks, xero, docusign, calendly, mailchimp, discord, twitch,
  twitter, linkedin, figma, airtable, vercel, heroku, digitalocean, reddit,
  strava, fitbit, miro, typeform, monday, clickup, pinterest, paypal,
  square, todoist, trello, anthropic, sendgrid, mailgun, resend, postmark,
  algolia,
];

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

// scripts/build.mjs validates the catalog once and writes the result into the bundle as this
// constant, so a bundled `latchkey` does not parse ~60 files again at every start (~50 ms of a
// gateway's start-up); the sources (tests, tsx) and tsc's dist/ validate here.
declare const LATCHKEY_VALIDATED_CATALOG: readonly ProviderFile[] | undefined;

export const catalog: readonly ProviderFile[] = Object.freeze(
  typeof LATCHKEY_VALIDATED_CATALOG === 'undefined' ? validateCatalog(providerFiles) : LATCHKEY_VALIDATED_CATALOG,
);
