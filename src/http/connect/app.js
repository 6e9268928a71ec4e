// The connect page: lists the catalog, then the services the site defined itself (custom services,
// "Your services"), each with its scopes and connection health, and lets a site owner connect,
// change permissions, reconnect and disconnect. Plain browser JavaScript served
// by the gateway (no build step); it only talks to the gateway's own /graphql.
//
// The token comes from the URL fragment of a connect link (`/connect#token=lkc_…`, never sent to a
// server) or a pasted site token, lives in sessionStorage only, and is removed from the address bar
// at once.

const TOKEN_KEY = 'latchkey.connect.token';
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

const elements = {
  toolbar: document.getElementById('toolbar'),
  search: document.getElementById('service-search'),
  category: document.getElementById('service-category'),
  count: document.getElementById('service-count'),
  status: document.getElementById('status'),
  alert: document.getElementById('alert'),
  tokenForm: document.getElementById('token-form'),
  tokenInput: document.getElementById('token-input'),
  services: document.getElementById('services'),
  siteName: document.getElementById('site-name'),
  forget: document.getElementById('forget-token'),
};

class GatewayError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

// ---- Token handling ----

function takeTokenFromFragment() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const token = fragment.get('token');
  if (location.hash) history.replaceState(null, '', location.pathname + location.search);
  if (token) sessionStorage.setItem(TOKEN_KEY, token.trim());
}

function currentToken() {
  return sessionStorage.getItem(TOKEN_KEY);
}

function forgetToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

// ---- Talking to the gateway ----

async function graphql(query, variables = {}) {
  const token = currentToken();
  let response;
  try {
    response = await fetch('/graphql', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json',
        authorization: `Bearer ${token}`,
      },
      body: JSON.stringify({ query, variables }),
    });
  } catch {
    throw new GatewayError('The gateway could not be reached. Check that it is running, then reload this page.', 'NETWORK_ERROR');
  }
  let body;
  try {
    body = await response.json();
  } catch {
    throw new GatewayError(`The gateway answered HTTP ${response.status} without a GraphQL response.`, 'UPSTREAM_ERROR');
  }
  if (body.errors?.length) {
    const [error] = body.errors;
    throw new GatewayError(error.message, error.extensions?.code);
  }
  return body.data;
}

const CATALOG = `query ConnectPageCatalog {
  site { name }
  boundEndUser
  services {
    service key friendlyServiceName graphQLField categories authModes supportsRefresh supportsRevocation appConfigured
    credentialForm { authMode apiKeyLabel usernameLabel passwordLabel help checked }
    availableScopes { scope title description category isDefault isRequired }
  }
}`;

// Custom services come with their own scopes. The page never asks for a token itself: its
// browser-facing token may not read one.
function stateQuery(fields) {
  const selections = fields.map((field) => `${field} { ...ServiceState }`).join('\n    ');
  return `query ConnectPageState {
  secrets {
    ${selections}
    customServices {
      slug serviceKey friendlyServiceName isLoggedIn status foreignUserId foreignUserName expiresAt lastRefreshedAt lastError storedScopes
      availableScopes { scope title description category isDefault isRequired }
    }
  }
}
fragment ServiceState on ServiceSecret {
  service isLoggedIn status foreignUserId foreignUserName expiresAt lastRefreshedAt lastError storedScopes
}`;
}

const START_AUTH = `mutation ConnectPageStartAuth($input: StartAuthInput!) {
  startAuth(input: $input) { authorizationUrl attemptId }
}`;

const SIGN_OUT = `mutation ConnectPageSignOut($service: Service!) {
  signOut(service: $service) { service isLoggedIn }
}`;

// The credential travels only in this request's body; the answer carries no secret.
const CONNECT_CREDENTIALS = `mutation ConnectPageCredentials($input: ConnectCredentialsInput!) {
  connectCredentials(input: $input) { service status credentialType }
}`;

const SIGN_OUT_CUSTOM = `mutation ConnectPageSignOutCustom($slug: String!) {
  signOutCustomService(slug: $slug) { isLoggedIn status }
}`;

// ---- Messages ----

function announce(message) {
  elements.status.textContent = message;
}

function showAlert(message) {
  elements.alert.textContent = message;
  elements.alert.hidden = !message;
}

function explain(error) {
  if (!(error instanceof GatewayError)) return 'Something went wrong on this page; reload it and try again.';
  if (error.code === 'UNAUTHENTICATED') {
    return `${error.message} Open a new link from \`npx latchkey connect-link\` or paste a site token.`;
  }
  if (error.code === 'FORBIDDEN') {
    return `${error.message} This page needs a connect link or a site token (lks_…).`;
  }
  return error.message;
}

/** The outcome the gateway's callback appended to /connect, announced once and then removed. */
function reportReturnFromProvider(entries) {
  const params = new URLSearchParams(location.search);
  const status = params.get('latchkey_status');
  if (!status) return;
  // `service` is a catalog service (GITHUB) or a custom one's key (custom:<slug>).
  const service = entries.find((entry) => entry.service === params.get('service'));
  const name = service ? service.friendlyServiceName : 'The service';
  history.replaceState(null, '', location.pathname);
  if (status === 'success') {
    announce(`${name} is connected.`);
  } else {
    const reason = params.get('error') === 'access_denied' ? 'access was denied on the provider’s page' : params.get('error') || 'unknown error';
    showAlert(`Could not connect ${name}: ${reason}. You can try again.`);
  }
}

// ---- Rendering ----

function element(tag, attributes = {}, children = []) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (name === 'text') node.textContent = value;
    else if (value === true) node.setAttribute(name, '');
    else node.setAttribute(name, String(value));
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

function formatTime(value) {
  if (!value) return '';
  return new Date(value).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

function connectionState(secret) {
  if (!secret || secret.status === null) return { key: 'none', label: 'Not connected' };
  if (secret.status === 'NEEDS_REAUTH') return { key: 'reauth', label: 'Needs reconnecting' };
  if (secret.status === 'REVOKED' || !secret.isLoggedIn) return { key: 'none', label: 'Not connected' };
  if (secret.status === 'REFRESHING') return { key: 'connected', label: 'Connected (refreshing)' };
  return { key: 'connected', label: 'Connected' };
}

function healthText(entry, secret, state) {
  if (state.key === 'reauth') {
    const reason = (secret.lastError || `${entry.friendlyServiceName} refused to refresh the token`).replace(/\.$/, '');
    return `${reason}. Reconnect so your functions keep working.`;
  }
  if (state.key !== 'connected') return `Not connected. Pick the permissions below, then connect.`;
  const who = secret.foreignUserName || secret.foreignUserId;
  const parts = [who ? `Connected as ${who}.` : 'Connected.'];
  if (secret.expiresAt) {
    parts.push(`Token valid until ${formatTime(secret.expiresAt)}${entry.supportsRefresh ? ', refreshed automatically' : ''}.`);
  }
  if (secret.lastRefreshedAt) parts.push(`Last refreshed ${formatTime(secret.lastRefreshedAt)}.`);
  return parts.join(' ');
}

function scopeRow(entry, scope, { checked, granted, extra }) {
  const id = `scope-${entry.idKey}-${scope.scope.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  const tags = [];
  if (scope.isRequired) tags.push(element('span', { class: 'tag', text: 'required' }));
  if (granted) tags.push(element('span', { class: 'tag tag-granted', text: 'granted' }));
  return element('div', { class: 'scope' }, [
    element('input', {
      type: 'checkbox',
      id,
      name: 'scope',
      value: scope.scope,
      checked: checked || scope.isRequired,
      disabled: Boolean(scope.isRequired),
      'aria-describedby': `${id}-description`,
    }),
    element('label', { for: id }, [
      element('span', { class: 'scope-title', text: scope.title || scope.scope }),
      ' ',
      element('code', { text: scope.scope }),
      ...tags.flatMap((tag) => [' ', tag]),
    ]),
    element('p', {
      class: 'scope-description',
      id: `${id}-description`,
      text: extra ? 'Granted by the provider; not in the catalog.' : scope.description || '',
    }),
  ]);
}

function serviceCard(entry, secret) {
  const state = connectionState(secret);
  const connected = state.key === 'connected';
  // A connection that needs reconnecting keeps its scopes ticked, so reconnecting asks for them again.
  const granted = new Set(connected || state.key === 'reauth' ? (secret.storedScopes ?? []) : []);
  const titleId = `svc-${entry.idKey}-title`;
  const healthId = `svc-${entry.idKey}-health`;
  const noteId = `svc-${entry.idKey}-note`;
  const configured = entry.appConfigured;

  const rows = entry.availableScopes.map((scope) =>
    scopeRow(entry, scope, { checked: granted.size ? granted.has(scope.scope) : scope.isDefault, granted: granted.has(scope.scope) }),
  );
  for (const scope of granted) {
    if (!entry.availableScopes.some((known) => known.scope === scope)) {
      rows.push(scopeRow(entry, { scope, title: scope, description: '' }, { checked: true, granted: true, extra: true }));
    }
  }

  const primaryLabel = connected ? 'Update permissions' : state.key === 'reauth' ? `Reconnect ${entry.friendlyServiceName}` : `Connect ${entry.friendlyServiceName}`;
  const actions = [
    element('button', {
      type: 'submit',
      class: 'primary',
      'data-action': connected ? 'update' : state.key === 'reauth' ? 'reconnect' : 'connect',
      disabled: !configured,
      'aria-describedby': configured ? null : noteId,
      text: primaryLabel,
    }),
  ];
  if (connected || state.key === 'reauth') {
    actions.push(element('button', { type: 'button', class: 'danger', 'data-action': 'disconnect', text: `Disconnect ${entry.friendlyServiceName}` }));
  }

  if (!rows.length) {
    rows.push(element('p', { class: 'scope-empty', text: `${entry.friendlyServiceName} has no permissions to choose: what it may do is set on its OAuth app.` }));
  }

  if (entry.credentialMode) return credentialCard(entry, secret, state, titleId, healthId);

  const form = element('form', { class: 'scopes-form', 'data-service': entry.service }, [
    element('p', { class: 'selection', id: `svc-${entry.idKey}-selection` }),
    element('details', { class: 'scopes' }, [
      element('summary', { text: 'Choose permissions' }),
      element('fieldset', {}, [element('legend', { text: `Permissions for ${entry.friendlyServiceName}` }), element('div', { class: 'scope-list' }, rows)]),
    ]),
    configured
      ? null
      : element('p', {
          class: 'note',
          id: noteId,
          text: `No OAuth app is configured for ${entry.friendlyServiceName}: set LATCHKEY_${entry.service}_CLIENT_ID and LATCHKEY_${entry.service}_CLIENT_SECRET on the gateway, or give this site its own app with setServiceCredentials.`,
        }),
    element('div', { class: 'actions' }, actions),
  ]);

  const custom = entry.kind === 'custom';
  return element('section', { class: `service service-${state.key}${custom ? ' service-custom' : ''}`, 'aria-labelledby': titleId, 'data-service': entry.service, 'data-category': entry.category || '' }, [
    element('div', { class: 'service-head' }, [
      // Every card sits under a group heading ("Connected", "More services", "Your services").
      element('h3', { id: titleId, text: entry.friendlyServiceName }),
      custom ? element('span', { class: 'slug' }, ['slug ', element('code', { text: entry.slug })]) : null,
      !custom && entry.category ? element('span', { class: 'category', text: entry.category }) : null,
      element('span', { class: `badge badge-${state.key}`, text: state.label }),
    ]),
    element('p', { class: 'health', id: healthId, text: healthText(entry, secret, state) }),
    form,
  ]);
}

/**
 * A service connected with an API key or a username and password. The inputs are masked, never
 * autofilled, emptied once sent, and nothing on the page ever shows what was typed.
 */
function credentialCard(entry, secret, state, titleId, healthId) {
  const connected = state.key === 'connected';
  const basic = entry.credentialMode === 'BASIC';
  const field = (name, label, masked) => {
    const id = `cred-${entry.idKey}-${name}`;
    return element('div', { class: 'field' }, [
      element('label', { for: id, text: label }),
      element('input', {
        id,
        name,
        type: masked ? 'password' : 'text',
        autocomplete: 'off',
        autocapitalize: 'off',
        spellcheck: 'false',
        required: true,
        'data-secret': masked ? 'true' : null,
      }),
    ]);
  };
  const form = entry.credentialForm ?? {};
  const fields = basic
    ? [field('username', form.usernameLabel || 'User name', false), field('password', form.passwordLabel || 'Password', true)]
    : [field('apiKey', form.apiKeyLabel || 'API key', true)];
  const actions = [
    element('button', { type: 'submit', class: 'primary', 'data-action': connected ? 'replace' : 'connect', text: connected ? `Replace the ${basic ? 'credentials' : 'key'}` : `Connect ${entry.friendlyServiceName}` }),
  ];
  if (connected || state.key === 'reauth') {
    actions.push(element('button', { type: 'button', class: 'danger', 'data-action': 'disconnect', text: `Disconnect ${entry.friendlyServiceName}` }));
  }
  const hint = [form.help, form.checked ? `The gateway checks ${basic ? 'them' : 'it'} with ${entry.friendlyServiceName} before keeping ${basic ? 'them' : 'it'}, encrypted.` : 'It is kept encrypted.']
    .filter(Boolean)
    .join(' ');
  const credentialsForm = element('form', { class: 'credentials-form', 'data-service': entry.service, 'data-kind': 'credentials', autocomplete: 'off' }, [
    element('p', { class: 'hint', text: hint }),
    ...fields,
    element('div', { class: 'actions' }, actions),
  ]);
  return element('section', { class: `service service-${state.key}`, 'aria-labelledby': titleId, 'data-service': entry.service, 'data-category': entry.category || '' }, [
    element('div', { class: 'service-head' }, [
      element('h3', { id: titleId, text: entry.friendlyServiceName }),
      entry.category ? element('span', { class: 'category', text: entry.category }) : null,
      element('span', { class: `badge badge-${state.key}`, text: state.label }),
    ]),
    element('p', { class: 'health', id: healthId, text: credentialHealth(entry, secret, state) }),
    credentialsForm,
  ]);
}

function credentialHealth(entry, secret, state) {
  if (state.key === 'reauth') return `${(secret.lastError || `${entry.friendlyServiceName} refused the stored credential`).replace(/\.$/, '')}. Enter a new one.`;
  if (state.key !== 'connected') return 'Not connected.';
  const who = secret.foreignUserName || secret.foreignUserId;
  return who ? `Connected as ${who}.` : 'Connected. The credential is stored encrypted and is never shown again.';
}

/** The site's own services, after the catalog; nothing at all when it defines none. */
function customSection(entries, secrets) {
  if (!entries.length) return null;
  return element('section', { class: 'custom-services', id: 'custom-services', 'aria-labelledby': 'custom-services-title' }, [
    element('h2', { id: 'custom-services-title', text: 'Your services' }),
    element('p', { class: 'section-lede', text: 'Services this site defined itself with defineCustomService, by name and slug.' }),
    ...entries.map((entry) => serviceCard(entry, secrets.get(entry.service))),
  ]);
}

// ---- Behaviour ----

let catalog = [];
/** The custom services the token may read, as catalog-like entries; refreshed on every render. */
let customEntries = [];

const CREDENTIAL_MODES = ['API_KEY', 'BASIC'];

function catalogEntry(service) {
  const modes = service.authModes ?? ['OAUTH2'];
  const category = service.categories?.[0] ?? null;
  // A service connected only by key or password gets the credential form instead of OAuth scopes.
  const credentialMode = modes.some((mode) => mode === 'OAUTH2' || mode === 'CLIENT_CREDENTIALS') ? null : (service.credentialForm?.authMode ?? modes.find((mode) => CREDENTIAL_MODES.includes(mode)) ?? null);
  return { ...service, kind: 'catalog', category, idKey: service.graphQLField, credentialMode };
}

function customEntry(secret) {
  return {
    kind: 'custom',
    service: secret.serviceKey,
    slug: secret.slug,
    idKey: `custom-${secret.slug}`,
    friendlyServiceName: secret.friendlyServiceName,
    availableScopes: secret.availableScopes ?? [],
    // A custom service always carries its own OAuth client.
    appConfigured: true,
    supportsRefresh: false,
  };
}

function entryFor(service) {
  return catalog.find((item) => item.service === service) ?? customEntries.find((item) => item.service === service);
}

async function loadState() {
  const fields = catalog.map((entry) => entry.graphQLField).filter((field) => IDENTIFIER.test(field));
  const data = await graphql(stateQuery(fields));
  return data.secrets;
}

async function render() {
  elements.services.setAttribute('aria-busy', 'true');
  const secrets = await loadState();
  const customSecrets = secrets.customServices ?? [];
  customEntries = customSecrets.map(customEntry);
  const byKey = new Map(customSecrets.map((secret) => [secret.serviceKey, secret]));
  const isInUse = (entry) => connectionState(secrets[entry.graphQLField]).key !== 'none';
  const byName = (a, b) => a.friendlyServiceName.localeCompare(b.friendlyServiceName);
  const inUse = catalog.filter(isInUse).sort(byName);
  const others = catalog.filter((entry) => !isInUse(entry)).sort(byName);
  const group = (id, title, entries) =>
    entries.length
      ? element('section', { class: 'service-group', id, 'aria-labelledby': `${id}-title` }, [
          element('h2', { class: 'group-title', id: `${id}-title`, text: `${title} (${entries.length})` }),
          ...entries.map((entry) => serviceCard(entry, secrets[entry.graphQLField])),
        ])
      : null;
  const fragment = document.createDocumentFragment();
  for (const node of [group('group-connected', 'Connected', inUse), group('group-available', inUse.length ? 'More services' : 'Services', others), customSection(customEntries, byKey)]) {
    if (node) fragment.append(node);
  }
  fragment.append(element('p', { class: 'no-match', id: 'no-match', hidden: true, text: 'No service matches. Try another name or category.' }));
  elements.services.replaceChildren(fragment);
  fillCategories();
  applyFilter();
  // The `checked` attribute only sets the default; set the property so a re-render is exact.
  for (const input of elements.services.querySelectorAll('input[type=checkbox]')) input.checked = input.hasAttribute('checked');
  for (const form of elements.services.querySelectorAll('form.scopes-form')) describeSelection(form);
  elements.services.setAttribute('aria-busy', 'false');
}

/** The category picker lists the categories of the catalog, keeping the current choice. */
function fillCategories() {
  const chosen = elements.category.value;
  const categories = [...new Set(catalog.flatMap((entry) => entry.categories ?? []))].sort((a, b) => a.localeCompare(b));
  elements.category.replaceChildren(
    element('option', { value: '', text: 'All categories' }),
    ...categories.map((category) => element('option', { value: category, text: category })),
  );
  elements.category.value = categories.includes(chosen) ? chosen : '';
  elements.toolbar.hidden = false;
}

/** Shows the cards whose name, key, category or permissions match the search and the category. */
function applyFilter() {
  const words = elements.search.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
  const category = elements.category.value;
  let shown = 0;
  let total = 0;
  for (const card of elements.services.querySelectorAll('section.service')) {
    total += 1;
    const entry = entryFor(card.dataset.service);
    const haystack = entry ? searchText(entry) : '';
    const visible = (!category || (entry?.categories ?? []).includes(category)) && words.every((word) => haystack.includes(word));
    card.hidden = !visible;
    if (visible) shown += 1;
  }
  for (const group of elements.services.querySelectorAll('.service-group, .custom-services')) {
    group.hidden = !group.querySelector('section.service:not([hidden])');
  }
  const none = document.getElementById('no-match');
  if (none) none.hidden = shown > 0;
  elements.count.textContent = shown === total ? `${total} services` : `${shown} of ${total} services`;
}

const searchTexts = new WeakMap();
function searchText(entry) {
  let text = searchTexts.get(entry);
  if (!text) {
    text = [entry.friendlyServiceName, entry.key, entry.service, entry.slug, ...(entry.categories ?? []), ...(entry.availableScopes ?? []).flatMap((scope) => [scope.scope, scope.title])]
      .filter(Boolean)
      .join(' ')
      .toLowerCase();
    searchTexts.set(entry, text);
  }
  return text;
}

/** Keeps the line above the permissions in step with the ticked boxes. */
function describeSelection(form) {
  const entry = entryFor(form.dataset.service);
  const boxes = [...form.querySelectorAll('input[name=scope]')];
  const ticked = boxes.filter((box) => box.checked).map((box) => box.value);
  const connected = form.closest('section')?.classList.contains('service-connected');
  const verb = connected ? 'Granted or requested' : 'Will ask for';
  form.querySelector('.selection').textContent = ticked.length
    ? `${verb}: ${ticked.join(', ')}`
    : `No permissions selected: ${entry.friendlyServiceName} will ask for its defaults.`;
  form.querySelector('summary').textContent = `Choose permissions (${ticked.length} of ${boxes.length} selected)`;
}

function setBusy(form, busy) {
  for (const button of form.querySelectorAll('button')) {
    if (busy) {
      button.dataset.wasDisabled = String(button.disabled);
      button.disabled = true;
    } else {
      button.disabled = button.dataset.wasDisabled === 'true';
    }
  }
  form.setAttribute('aria-busy', String(busy));
}

async function connect(form) {
  const entry = entryFor(form.dataset.service);
  const scopes = [...form.querySelectorAll('input[name=scope]:checked')].map((input) => input.value);
  setBusy(form, true);
  showAlert('');
  announce(`Opening ${entry.friendlyServiceName}…`);
  try {
    const data = await graphql(START_AUTH, {
      // The page shows the whole set, so ask for exactly what is ticked.
      input: {
        ...(entry.kind === 'custom' ? { customService: entry.slug } : { service: entry.service }),
        scopes,
        returnTo: `${location.origin}/connect`,
        replaceScopes: true,
      },
    });
    location.assign(data.startAuth.authorizationUrl);
  } catch (error) {
    setBusy(form, false);
    announce('');
    showAlert(explain(error));
  }
}

async function connectWithCredentials(form) {
  const entry = entryFor(form.dataset.service);
  const inputs = [...form.querySelectorAll('input')];
  const values = Object.fromEntries(inputs.map((input) => [input.name, input.value]));
  // Whatever happens next, the typed secret leaves the page's inputs now.
  for (const input of inputs) if (input.dataset.secret) input.value = '';
  setBusy(form, true);
  showAlert('');
  announce(`Checking the ${entry.friendlyServiceName} credential…`);
  try {
    await graphql(CONNECT_CREDENTIALS, { input: { service: entry.key, ...values } });
    await render();
    announce(`${entry.friendlyServiceName} is connected.`);
    document.querySelector(`section[data-service="${entry.service}"] h3`)?.scrollIntoView({ block: 'nearest' });
  } catch (error) {
    setBusy(form, false);
    announce('');
    showAlert(`Could not connect ${entry.friendlyServiceName}: ${explain(error)}`);
    form.querySelector('input[data-secret]')?.focus();
  }
}

async function disconnect(form) {
  const entry = entryFor(form.dataset.service);
  if (!window.confirm(`Disconnect ${entry.friendlyServiceName}? Your functions will stop receiving its token.`)) return;
  setBusy(form, true);
  showAlert('');
  try {
    if (entry.kind === 'custom') await graphql(SIGN_OUT_CUSTOM, { slug: entry.slug });
    else await graphql(SIGN_OUT, { service: entry.service });
    await render();
    announce(`${entry.friendlyServiceName} is disconnected.`);
    document.querySelector(`section[data-service="${entry.service}"] button[data-action]`)?.focus();
  } catch (error) {
    setBusy(form, false);
    showAlert(explain(error));
  }
}

function showTokenForm(message) {
  elements.tokenForm.hidden = false;
  elements.toolbar.hidden = true;
  elements.services.replaceChildren();
  elements.siteName.hidden = true;
  elements.forget.hidden = true;
  if (message) showAlert(message);
  elements.tokenInput.focus();
}

async function open() {
  if (!currentToken()) {
    showTokenForm('');
    return;
  }
  elements.tokenForm.hidden = true;
  announce('Loading services…');
  try {
    const data = await graphql(CATALOG);
    catalog = data.services.map(catalogEntry);
    // A connect session shows one end user's connections: say whose they are.
    elements.siteName.textContent = data.boundEndUser
      ? `Site: ${data.site.name} · connections of end user ${data.boundEndUser}`
      : `Site: ${data.site.name}`;
    elements.siteName.hidden = false;
    elements.forget.hidden = false;
    await render();
    announce('');
    reportReturnFromProvider([...catalog, ...customEntries]);
  } catch (error) {
    announce('');
    if (error instanceof GatewayError && (error.code === 'UNAUTHENTICATED' || error.code === 'FORBIDDEN')) {
      forgetToken();
      showTokenForm(explain(error));
    } else {
      showAlert(explain(error));
    }
  }
}

elements.tokenForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const token = elements.tokenInput.value.trim();
  if (!token) return;
  sessionStorage.setItem(TOKEN_KEY, token);
  elements.tokenInput.value = '';
  showAlert('');
  void open();
});

elements.forget.addEventListener('click', () => {
  forgetToken();
  announce('The token was removed from this tab.');
  showTokenForm('');
});

elements.services.addEventListener('submit', (event) => {
  event.preventDefault();
  if (!(event.target instanceof HTMLFormElement)) return;
  if (event.target.dataset.kind === 'credentials') void connectWithCredentials(event.target);
  else void connect(event.target);
});

elements.services.addEventListener('change', (event) => {
  const form = event.target instanceof HTMLInputElement ? event.target.form : null;
  if (form?.classList.contains('scopes-form')) describeSelection(form);
});

elements.search.addEventListener('input', applyFilter);
elements.category.addEventListener('change', applyFilter);

elements.services.addEventListener('click', (event) => {
  const button = event.target instanceof Element ? event.target.closest('button[data-action=disconnect]') : null;
  if (button) void disconnect(button.form);
});

takeTokenFromFragment();
void open();
