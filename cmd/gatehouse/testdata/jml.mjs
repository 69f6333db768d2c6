// Joiner, mover, leaver through the directory console, in headless
// Chromium driven by playwright-core, against a running `gatehouse demo`.
// Run by TestBrowserJoinerMoverLeaver (browser_test.go):
//   node jml.mjs <demo.json> <artifacts dir> <tools/peers dir>
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const [demoPath, artifacts, peers] = process.argv.slice(2);
const require = createRequire(path.join(peers, 'package.json'));
const { chromium } = require('playwright-core');
const demo = JSON.parse(fs.readFileSync(demoPath, 'utf8'));
const admin = demo.admin.directory;
const auditor = demo.admin.directory_read_only;

const args = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const contexts = [];
async function browser(name) {
  // A new, empty --user-data-dir per actor: a fresh browser each.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `gh-chromium-${name}-`));
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: '/usr/bin/chromium', headless: true, args, viewport: { width: 1200, height: 900 },
  });
  contexts.push({ ctx, dir });
  const page = ctx.pages()[0] || await ctx.newPage();
  page.setDefaultTimeout(15000);
  return page;
}

const consoleErrors = [];
function watch(page) {
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(`${page.url()}: console: ${m.text()}`); });
  page.on('pageerror', (e) => consoleErrors.push(`${page.url()}: pageerror: ${e.message}`));
}

let shot = 0;
async function snap(page, name) {
  shot++;
  await page.screenshot({ path: path.join(artifacts, `${String(shot).padStart(2, '0')}-${name}.png`), fullPage: true });
}
const log = (...a) => console.log(new Date().toISOString(), ...a);
function fail(msg) { throw new Error(msg); }
async function expectText(page, sel, re) {
  const t = await page.locator(sel).innerText();
  if (!re.test(t)) fail(`${sel} on ${page.url()} is ${JSON.stringify(t)}, want ${re}`);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function signIn(page, url, user, password) {
  await page.goto(url);
  // The page must ask to sign in (a 303 to /login?return=...).
  await page.waitForURL((u) => u.pathname === '/login', { timeout: 5000 })
    .catch(() => fail(`${url} did not ask to sign in: ${page.url()}`));
  await page.locator('#username').waitFor();
  await page.fill('#username', user);
  await page.fill('#password', password);
  await Promise.all([page.waitForLoadState('load'), page.click('button[type=submit]')]);
}

// visit loads a console page and checks it is one (status 200, a heading).
async function visit(page, url) {
  const res = await page.goto(url);
  if (res.status() !== 200) fail(`${url}: HTTP ${res.status()}`);
  await page.locator('main h1').waitFor();
}

// portalShows polls, up to ~10 s, until the portal page satisfies ok.
async function poll(page, what, load, ok, ms = 10000) {
  const start = Date.now();
  for (;;) {
    try {
      await load();
      const body = await page.locator('body').innerText();
      if (ok(body)) { log(`${what}: after ${Date.now() - start} ms`); return body; }
    } catch (e) { /* a navigation in flight; try again */ }
    if (Date.now() - start > ms) {
      await snap(page, 'timeout');
      fail(`${what}: not within ${ms} ms; page ${page.url()}:\n${(await page.locator('body').innerText()).slice(0, 800)}`);
    }
    await sleep(250);
  }
}

async function main() {
  const a = await browser('admin');
  watch(a);
  const base = demo.directory_url + '/console';

  // 1. The admin signs in to the console.
  await signIn(a, admin.url, admin.username, admin.password);
  if (new URL(a.url()).pathname !== '/console') fail(`admin landed on ${a.url()}`);
  await expectText(a, 'main h1', /Overview/);
  await snap(a, 'console-overview');

  // 2. Bad input: each message next to its field.
  await visit(a, base + '/users/new');
  await a.fill('#f-upn', 'not an upn');
  await a.fill('#f-displayName', '');
  await a.fill('#f-password', 'short');
  await Promise.all([a.waitForLoadState('load'), a.click('button:has-text("Create user")')]);
  for (const f of ['upn', 'displayName', 'password']) {
    const err = a.locator(`#err-${f}`);
    if (!(await err.isVisible())) fail(`no message next to ${f}`);
    if ((await a.getAttribute(`#f-${f}`, 'aria-describedby')) !== `err-${f}`) fail(`${f} not described by its message`);
    if ((await a.getAttribute(`#f-${f}`, 'aria-invalid')) !== 'true') fail(`${f} not marked invalid`);
    // The message follows its input in the same field block.
    const same = await a.evaluate((f) => document.getElementById('err-' + f).parentElement === document.getElementById('f-' + f).parentElement, f);
    if (!same) fail(`message of ${f} is not next to the field`);
  }
  log('bad input: messages next to upn, displayName and password');
  await snap(a, 'new-user-errors');

  // 3. Joiner: create the user and add them to AWS-Developers-ReadOnly.
  const upn = `joiner${Date.now() % 100000}@gatehouse.example`;
  const pw = 'Joiner-password-' + Math.random().toString(36).slice(2, 10);
  await a.fill('#f-upn', upn);
  await a.fill('#f-displayName', 'Jo Iner');
  await a.fill('#f-givenName', 'Jo');
  await a.fill('#f-surname', 'Iner');
  await a.fill('#f-password', pw);
  await Promise.all([a.waitForURL(/\/console\/users\/[^/]+\?done=created/), a.click('button:has-text("Create user")')]);
  const userURL = a.url().split('?')[0];
  await expectText(a, '#upn', new RegExp(upn.replace('.', '\\.')));
  await a.selectOption('#f-group', { label: 'AWS-Developers-ReadOnly' });
  const joined = Date.now();
  await Promise.all([a.waitForURL(/done=group-added/), a.click('button:has-text("Add")')]);
  await snap(a, 'joiner-created');
  log('joiner created and added to AWS-Developers-ReadOnly', upn);

  // 4. The joiner signs in at My Apps, clicks the tile, sees the access.
  const u = await browser('user');
  await signIn(u, demo.myapps_url, upn, pw);
  if (new URL(u.url()).pathname !== '/myapps') fail(`joiner landed on ${u.url()}`);
  await snap(u, 'joiner-myapps');
  // My access (just-in-time groups) is linked from My Apps and loads
  // without browser errors; the joiner is eligible for nothing yet.
  watch(u);
  await Promise.all([u.waitForURL((url) => url.pathname === '/myaccess'), u.click('a:has-text("My access")')]);
  await expectText(u, 'main', /You are not eligible for any group/);
  await snap(u, 'joiner-myaccess');
  await poll(u, 'joiner sees AWSDemo with DeveloperReadOnly', async () => {
    await u.goto(demo.myapps_url);
    await Promise.all([u.waitForURL((url) => url.pathname === '/start' || url.pathname.includes('acs') || url.pathname.includes('saml'), { timeout: 5000 }),
      u.click('a:has-text("AWS IAM Identity Center")')]);
    await u.waitForLoadState('load');
  }, (b) => b.includes('AWSDemo') && b.includes('DeveloperReadOnly') && !b.includes('DeveloperPowerUser'));
  log(`joiner: created -> portal access in ${Date.now() - joined} ms`);
  await snap(u, 'joiner-portal');

  // 5. Mover: AWS-Developers-ReadOnly -> AWS-Developers-PowerUser.
  await visit(a, userURL);
  await a.selectOption('#f-group', { label: 'AWS-Developers-PowerUser' });
  await Promise.all([a.waitForURL(/done=group-added/), a.click('button:has-text("Add")')]);
  await Promise.all([a.waitForURL(/done=group-remove/), a.click('button[aria-label="Remove from AWS-Developers-ReadOnly"]')]);
  await snap(a, 'mover-moved');
  await poll(u, 'mover sees DeveloperPowerUser and not DeveloperReadOnly', async () => { await u.goto(demo.portal_url); },
    (b) => b.includes('DeveloperPowerUser') && !b.includes('DeveloperReadOnly'));
  await snap(u, 'mover-portal');

  // Other console pages load without errors (groups, a group, provisioning
  // with its logs filtered to the joiner, the user list search).
  await visit(a, base + '/users?q=joiner');
  await visit(a, base + '/groups');
  await a.click('a:has-text("AWS-Developers-PowerUser")');
  await a.locator('main h1').waitFor();
  await expectText(a, 'main', new RegExp(upn.replace('.', '\\.')));
  await visit(a, `${base}/apps/${demo.app_id}/provisioning?object=${encodeURIComponent(upn)}`);
  await expectText(a, '#logs', new RegExp(upn.replace('.', '\\.')));
  // The dashboard draws the demo's objects and its cycles.
  await expectText(a, '#dashboard', /In sync: \d+/);
  await a.locator('#dash-timeline g.cycle').first().waitFor();
  await snap(a, 'provisioning');
  // Provisioning configuration: Test Connection checks the stored token
  // against the center (htmx swaps the outcome in); the mappings editor
  // checks an expression as it is typed. Nothing is saved.
  await visit(a, `${base}/apps/${demo.app_id}/provisioning/settings`);
  await a.click('button:has-text("Test Connection")');
  await a.locator('#test-result', { hasText: /The connection works/ }).waitFor();
  await snap(a, 'provisioning-settings');
  await visit(a, `${base}/apps/${demo.app_id}/provisioning/mappings`);
  await a.selectOption('#f-type', 'expression');
  await a.fill('#f-source', 'Join(".", [givenName] [surname])');
  await a.locator('#check-source', { hasText: /At position 23/ }).waitFor();
  await a.fill('#f-source', 'Join(".", [givenName], [surname])');
  await a.locator('#check-source', { hasText: /Valid expression/ }).waitFor();
  await snap(a, 'provisioning-mappings');
  await visit(a, base + '/governance');
  await expectText(a, '#eligibilities', /AWS-Developers-Admin\s+awsdemo@gatehouse\.example/);
  await snap(a, 'governance');
  // A time-bound assignment without an end: the message next to the field.
  await a.fill('#f-assignUser', 'alex@gatehouse.example');
  await a.fill('#f-assignGroup', 'AWS-ReadOnly');
  await Promise.all([a.waitForLoadState('load'), a.click('button:has-text("Assign until the end")')]);
  await expectText(a, '#err-assignUntil', /Enter when the assignment ends/);
  await visit(a, base + '/reviews');
  await expectText(a, '#campaigns', /No access review campaigns/);
  // New campaign: longer than its recurrence is refused next to the field;
  // then one by the group's owners (the demo's owner, shen) starts.
  await a.fill('#f-name', 'Admins by owners');
  await a.fill('#f-scope', 'AWS-Developers-Admin');
  await a.selectOption('#f-recurrence', 'weekly');
  await a.fill('#f-durationDays', '8');
  await Promise.all([a.waitForLoadState('load'), a.click('button:has-text("Create campaign")')]);
  await expectText(a, '#err-durationDays', /longer than the weekly recurrence/);
  await a.fill('#f-durationDays', '7');
  await Promise.all([a.waitForURL(/done=campaign-created/), a.click('button:has-text("Create campaign")')]);
  await expectText(a, '#campaigns', /Admins by owners\s+group AWS-Developers-Admin\s+owners\s+weekly/);
  await snap(a, 'reviews');
  // The group's owners: the demo's, an unknown user refused next to the
  // field, one added and removed.
  await visit(a, base + '/groups');
  await Promise.all([a.waitForURL(/\/console\/groups\/[^/]+$/), a.click('a:has-text("AWS-Developers-Admin")')]);
  await expectText(a, '#owners', /shen@gatehouse\.example/);
  await a.fill('#f-owner', 'nobody@gatehouse.example');
  await Promise.all([a.waitForLoadState('load'), a.click('button:has-text("Add owner")')]);
  await expectText(a, '#err-owner', /No user has this user principal name/);
  await a.fill('#f-owner', 'alex@gatehouse.example');
  await Promise.all([a.waitForURL(/done=owner-added/), a.click('button:has-text("Add owner")')]);
  await expectText(a, '#owners', /alex@gatehouse\.example/);
  await snap(a, 'group-owners');
  await Promise.all([a.waitForURL(/done=owner-removed/), a.click('#owners tr:has-text("alex@gatehouse.example") button')]);
  if ((await a.locator('#owners').innerText()).includes('alex@')) fail('the removed owner is still listed');
  // The audit log holds the admin's own sign-in among others.
  await visit(a, base + '/audit?kind=signin.*');
  await expectText(a, '#audit', /signin\.success/);

  // Enterprise apps: the list links the demo app to its pages; its single
  // sign-on has the center as SP and an active certificate, and the
  // federation metadata link serves the IdP's metadata.
  await visit(a, base + '/apps');
  await Promise.all([a.waitForURL(new RegExp(`/console/apps/${demo.app_id}$`)),
    a.click('#apps a:has-text("AWS IAM Identity Center")')]);
  await expectText(a, '#app-sso', /SAML/);
  await visit(a, `${base}/apps/${demo.app_id}/users`);
  await expectText(a, '#assignments', /AWS-Developers-ReadOnly/);
  await visit(a, `${base}/apps/${demo.app_id}/saml`);
  await expectText(a, '#certs', /active/);
  await expectText(a, '#claims', /AccessControl:Department/);
  const md = await a.request.get(await a.getAttribute('#idp-metadata', 'href'));
  if (md.status() !== 200 || !(await md.text()).includes('IDPSSODescriptor')) fail('the federation metadata link does not serve the IdP metadata');
  await snap(a, 'app-saml');
  // Bad SP metadata: the message next to the field, nothing changed.
  await a.fill('#f-metadataText', 'not XML');
  await Promise.all([a.waitForLoadState('load'), a.click('button:has-text("Apply metadata")')]);
  await expectText(a, '#err-metadata', /^Metadata /);
  await expectText(a, '#certs', /active/);
  await visit(a, base + '/apps/new');
  await visit(a, `${base}/apps/${demo.app_id}/delete`);
  // A group made and deleted through the console, both in the audit log.
  const gname = `Console-Group-${Date.now() % 100000}`;
  await visit(a, base + '/groups/new');
  await a.fill('#f-displayName', gname);
  await a.fill('#f-description', 'Made by the browser test');
  await Promise.all([a.waitForURL(/done=group-created/), a.click('button:has-text("Create group")')]);
  await Promise.all([a.waitForURL(/\/delete$/), a.click('#delete-group')]);
  await a.fill('#f-confirmName', gname);
  await Promise.all([a.waitForURL(/done=group-deleted/), a.click('button:has-text("Delete group")')]);
  await visit(a, base + '/audit?kind=admin.change');
  await expectText(a, '#audit', /POST \/console\/groups\/new/);
  await expectText(a, '#audit', /POST \/console\/groups\/[^/\s]+\/delete/);
  await expectText(a, '#audit', /POST \/console\/groups\/[^/\s]+\/owners\/add/);
  await expectText(a, '#audit', /POST \/console\/reviews/);

  // 6. Leaver: disabling ends the portal session; signing in is refused.
  await visit(a, userURL);
  await Promise.all([a.waitForURL(/done=disabled/), a.click('button:has-text("Disable sign-in")')]);
  await expectText(a, '#account-state', /disabled/);
  await snap(a, 'leaver-disabled');
  await poll(u, 'leaver refused at the portal', async () => { await u.goto(demo.portal_url); },
    (b) => /access has been removed/i.test(b));
  await snap(u, 'leaver-portal-refused');
  await u.goto(demo.myapps_url);
  if (new URL(u.url()).pathname === '/myapps') fail('the leaver still has a My Apps session');
  await u.fill('#username', upn);
  await u.fill('#password', pw);
  await Promise.all([u.waitForLoadState('load'), u.click('button[type=submit]')]);
  if (new URL(u.url()).pathname === '/myapps') fail('the leaver signed in again');
  await expectText(u, '[role=alert]', /disabled/i);
  await snap(u, 'leaver-signin-refused');

  // 7. A read-only admin sees the console without its forms; a change is 403.
  const r = await browser('auditor');
  watch(r);
  await signIn(r, auditor.url, auditor.username, auditor.password);
  await visit(r, userURL);
  if (await r.locator('form[action$="/disable"], form[action$="/enable"], #f-group').count()) fail('read-only admin sees change forms');
  await visit(r, `${base}/apps/${demo.app_id}/provisioning/settings`);
  await expectText(r, '#token-state', /set/);
  if (await r.locator('button:has-text("Test Connection"), #f-attribute').count()) fail('read-only admin sees provisioning forms');
  const csrf = await r.locator('input[name=csrf]').first().inputValue();
  const res = await r.request.post(base + '/users/new', { form: { csrf, upn: 'x@gatehouse.example', displayName: 'X', password: 'whatever-long-password' }, maxRedirects: 0 });
  if (res.status() !== 403) fail(`read-only POST: HTTP ${res.status()}, want 403`);
  await visit(r, `${base}/apps/${demo.app_id}/saml`);
  if (await r.locator('#f-entityId, #f-metadata, #f-claimName, #f-certYears').count()) fail('read-only admin sees single sign-on forms');
  const cert = await r.request.post(`${base}/apps/${demo.app_id}/saml/certificates`, { form: { csrf, certYears: '1' }, maxRedirects: 0 });
  if (cert.status() !== 403) fail(`read-only certificate POST: HTTP ${cert.status()}, want 403`);
  await snap(r, 'read-only');

  // 8. Just in time: the demo user activates AWS-Developers-Admin at My
  // access (a justification is required) and the portal offers
  // DeveloperAdmin; deactivating takes it away again.
  const j = await browser('jit');
  watch(j);
  const demoUser = demo.users[0];
  await signIn(j, demo.myapps_url.replace('/myapps', '/myaccess'), demoUser.username, demoUser.password);
  if (new URL(j.url()).pathname !== '/myaccess') fail(`JIT user landed on ${j.url()}`);
  const jitForm = j.locator('form.activation', { has: j.locator('h3', { hasText: 'AWS-Developers-Admin' }) });
  await Promise.all([j.waitForLoadState('load'), jitForm.locator('button[type=submit]').click()]);
  await expectText(j, 'form.activation .field-error', /justification/i);
  await jitForm.locator('input[name=justification]').fill('INC-7 production outage');
  await Promise.all([j.waitForURL(/done=activated/), jitForm.locator('button[type=submit]').click()]);
  await expectText(j, '#mine', /AWS-Developers-Admin\s+Active/);
  await snap(j, 'jit-activated');
  await poll(j, 'activated user sees DeveloperAdmin in the portal', async () => { await j.goto(demo.portal_url); },
    (b) => b.includes('DeveloperAdmin'));
  await snap(j, 'jit-portal');
  await j.goto(demo.myapps_url.replace('/myapps', '/myaccess'));
  await Promise.all([j.waitForURL(/done=deactivated/), j.click('button[aria-label="Deactivate AWS-Developers-Admin"]')]);
  await poll(j, 'DeveloperAdmin gone after deactivation', async () => { await j.goto(demo.portal_url); },
    (b) => !b.includes('DeveloperAdmin') && b.includes('DeveloperReadOnly'));

  const bad = consoleErrors.filter((e) => e.includes('/console') || e.includes('/myaccess'));
  if (bad.length) fail('browser console errors on console pages:\n' + bad.join('\n'));
  log('no browser console errors on console pages', consoleErrors.length ? `(elsewhere: ${consoleErrors.join('; ')})` : '');
}

try {
  await main();
  console.log('PASS');
} catch (e) {
  console.error('FAIL:', e.message);
  process.exitCode = 1;
} finally {
  for (const { ctx, dir } of contexts) {
    await ctx.close().catch(() => {});
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
