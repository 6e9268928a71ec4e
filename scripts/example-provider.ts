// Local stand-ins for GitHub and Spotify (the same fakes the tests use), so the README's example
// runs on a machine with no internet and no OAuth app. Prints the variables to start the gateway with.
import { startFakeGitHub } from '../test/support/fake-github.js';
import { startFakeSpotify } from '../test/support/fake-spotify.js';

const publicUrl = process.env.LATCHKEY_PUBLIC_URL ?? 'http://localhost:4000';
const github = await startFakeGitHub();
// Like Spotify for loopback redirect URIs, the stand-in accepts the gateway's callback on any port.
const spotify = await startFakeSpotify({ redirectUris: [`${publicUrl}/oauth/callback/spotify`], anyLoopbackPort: true });

const env = {
  ...github.appEnv,
  ...spotify.appEnv,
};
console.error(`Fake GitHub on ${github.url}, fake Spotify on ${spotify.url} (they approve every authorization).`);
console.error('Start the gateway in another terminal with these variables (or: eval "$(cat example.env)"):\n');
for (const [name, value] of Object.entries(env)) console.log(`export ${name}='${value}'`);
console.error('\nPress Ctrl+C to stop.');
