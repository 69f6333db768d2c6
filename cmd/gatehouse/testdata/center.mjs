// The center console in headless Chromium driven by playwright-core,
// against a running `gatehouse demo`. Run by TestBrowserCenterConsole
// (browser_center_test.go):
//   node center.mjs <demo.json> <artifacts dir> <tools/peers dir>
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const [demoPath, artifacts, peers] = process.argv.slice(2);
const require = createRequire(path.join(peers, 'package.json'));
const { chromium } = require('playwright-core');
const demo = JSON.parse(fs.readFileSync(demoPath, 'utf8'));
const admin = demo.admin.center;
const auditor = demo.admin.center_read_only;
const base = demo.center_url + '/console';

const args = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const contexts = [];
async function browser(name) {
  // A new, empty --user-data-dir per actor: a fresh browser each.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `gh-chromium-${name}-`));
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: '/usr/bin/chromium', headless: true, args, viewport: { width: 1280, height: 900 },
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
const centerOrigin = new URL(demo.center_url).origin;

// samlSignIn opens a center URL, which sends the browser to the
// directory's login page (SP-initiated SAML); after the password it comes
// back through the ACS to want (a path at the center).
async function samlSignIn(page, url, user, password, want) {
  await page.goto(url);
  await page.waitForURL((u) => u.pathname === '/login', { timeout: 10000 })
    .catch(() => fail(`${url} did not go to the directory's login page: ${page.url()}`));
  if (new URL(page.url()).origin === centerOrigin) fail('the login page is on the center');
  await page.fill('#username', user);
  await page.fill('#password', password);
  await Promise.all([
    page.waitForURL((u) => u.origin === centerOrigin && u.pathname === want, { timeout: 15000 }),
    page.click('button[type=submit]'),
  ]).catch(async (e) => { await snap(page, 'signin-failed'); fail(`${user} did not come back to ${want}: ${page.url()}: ${e.message}`); });
  await page.waitForLoadState('load');
}

// visit loads a console page and checks it is one (status 200, a heading).
async function visit(page, url) {
  const res = await page.goto(url);
  if (res.status() !== 200) fail(`${url}: HTTP ${res.status()}`);
  await page.locator('main h1').waitFor();
}

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

// fieldError checks a message is shown next to a field and tied to it.
async function fieldError(page, f, re) {
  const err = page.locator(`#err-${f}`);
  if (!(await err.isVisible())) fail(`no message next to ${f}`);
  const text = await err.innerText();
  if (!re.test(text)) fail(`message of ${f} is ${JSON.stringify(text)}, want ${re}`);
  if ((await page.getAttribute(`#f-${f}`, 'aria-describedby')) !== `err-${f}`) fail(`${f} not described by its message`);
  if ((await page.getAttribute(`#f-${f}`, 'aria-invalid')) !== 'true') fail(`${f} not marked invalid`);
  const same = await page.evaluate((f) => document.getElementById('err-' + f).parentElement === document.getElementById('f-' + f).parentElement, f);
  if (!same) fail(`message of ${f} is not next to the field`);
}

async function main() {
  if (!admin || !auditor) fail('demo.json has no admin.center / admin.center_read_only');
  const a = await browser('center-admin');
  watch(a);

  // 1. The center admin signs in through SAML and lands on the console.
  await samlSignIn(a, admin.url, admin.username, admin.password, '/console');
  await expectText(a, 'main h1', /Overview/);
  await expectText(a, 'header .who', new RegExp(`${admin.username.replace('.', '\\.')}[\\s\\S]*admin`));
  await snap(a, 'center-overview');
  log('center admin signed in through SAML');

  // 2. Every page loads (no console errors, checked at the end).
  const users = demo.users.map((u) => u.username);
  for (const [p, name] of [['/settings', 'settings'], ['/users', 'users'], ['/users?q=awsdemo', 'users-search'],
    ['/groups', 'groups'], ['/groups?q=Developers', 'groups-search'], ['/permission-sets', 'permission-sets'],
    ['/accounts', 'accounts'], ['/accounts/222233334444', 'account-sandbox'], ['/assignments', 'assignments'],
    ['/assignments/new', 'wizard-1'], ['/access-graph', 'access-graph-all']]) {
    await visit(a, base + p);
    await snap(a, name);
  }
  await visit(a, base + '/settings');
  await expectText(a, '#scim-url', /\/scim\/v2$/);
  await expectText(a, '#idp-entity', /\/saml\//);
  await visit(a, base + '/users?q=awsdemo');
  await expectText(a, '#results', new RegExp(users[0].replace('.', '\\.')));
  log('every console page loaded');

  // 3. A bad inline policy: the message is next to the field.
  await visit(a, base + '/permission-sets');
  await a.fill('#f-name', 'BadPolicy');
  await a.fill('#f-inlinePolicy', '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow"');
  await Promise.all([a.waitForLoadState('load'), a.click('button:has-text("Create permission set")')]);
  await fieldError(a, 'inlinePolicy', /valid IAM policy document/);
  if ((await a.inputValue('#f-name')) !== 'BadPolicy') fail('the form lost the name');
  await snap(a, 'permission-set-bad-policy');
  // And a good one, with a managed policy from the picker.
  await a.fill('#f-name', 'S3Reader');
  await a.fill('#f-inlinePolicy', '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}');
  await a.selectOption('#f-sessionDuration', 'PT2H');
  await a.getByLabel('SecurityAudit', { exact: false }).check();
  await Promise.all([a.waitForURL(/done=ps-created/), a.click('button:has-text("Create permission set")')]);
  await expectText(a, '#permission-sets', /S3Reader[\s\S]*PT2H[\s\S]*SecurityAudit/);
  log('bad inline policy refused next to its field; S3Reader created');

  // 3b. The permission set's page: a JSON error is shown next to the field
  // with its line and column; a tag; S3Reader (unassigned) is deleted,
  // DeveloperAdmin (assigned) is not.
  const submit = (page, button, path) => Promise.all([
    page.waitForURL((u) => u.pathname.endsWith(path)), page.click(`button:has-text("${button}")`)]);
  await Promise.all([a.waitForURL(/\/permission-sets\/ps-/), a.click('#permission-sets a:has-text("S3Reader")')]);
  await expectText(a, 'main h1', /Permission set S3Reader/);
  await a.fill('#f-inlinePolicy', '{\n  "Version": "2012-10-17",\n  "Statement": [{"Effect": "Allow",}]\n}');
  await submit(a, 'Save inline policy', '/inline-policy');
  await fieldError(a, 'inlinePolicy', /line 3, column 36/);
  await snap(a, 'permission-set-json-error');
  await a.fill('#f-tagKey', 'team');
  await a.fill('#f-tagValue', 'storage');
  await Promise.all([a.waitForURL(/done=ps-saved/), a.click('button:has-text("Add tag")')]);
  await expectText(a, '#tags', /team\s+storage/);
  await snap(a, 'permission-set');
  await Promise.all([a.waitForURL(/done=ps-deleted/), a.click('button:has-text("Delete S3Reader")')]);
  if (/S3Reader/.test(await a.locator('#permission-sets').innerText())) fail('S3Reader is still listed');
  await Promise.all([a.waitForURL(/\/permission-sets\/ps-/), a.click('#permission-sets a:has-text("DeveloperAdmin")')]);
  const developerAdmin = a.url();
  await submit(a, 'Delete DeveloperAdmin', '/delete');
  await fieldError(a, 'delete', /still assigned/);
  log('permission set page: JSON error placed, tag added, S3Reader deleted, DeveloperAdmin refused while assigned');

  // 3c. A group's and a user's pages, reached from the lists.
  await visit(a, base + '/groups?q=AWS-Developers-ReadOnly');
  await Promise.all([a.waitForURL(/\/groups\/[0-9a-f-]+$/), a.click('#results a:has-text("AWS-Developers-ReadOnly")')]);
  await expectText(a, '#assignments', /DeveloperReadOnly/);
  await snap(a, 'group');
  await visit(a, base + '/users?q=' + encodeURIComponent(users[0]));
  await Promise.all([a.waitForURL(/\/users\/[0-9a-f-]+$/), a.click(`#results a:has-text("${users[0]}")`)]);
  await expectText(a, '#access', /DeveloperReadOnly[\s\S]*group AWS-Developers-ReadOnly/);
  await snap(a, 'user');

  // 4. An account with a bad id: the message is next to the field.
  await visit(a, base + '/accounts');
  await a.fill('#f-id', '12345');
  await a.fill('#f-name', 'Broken');
  await a.fill('#f-email', 'nope');
  await Promise.all([a.waitForLoadState('load'), a.click('button:has-text("Add account")')]);
  await fieldError(a, 'id', /12/);
  await fieldError(a, 'email', /email|pattern/i);
  await snap(a, 'account-errors');

  // 5. The wizard: Sandbox -> AWS-Developers-ReadOnly -> DeveloperAdmin.
  await visit(a, base + '/assignments/new');
  await a.getByLabel('Sandbox', { exact: true }).check();
  await Promise.all([a.waitForURL(/step=2/), a.click('button:has-text("Next")')]);
  await a.fill('#q', 'Developers-ReadOnly');
  await Promise.all([a.waitForURL(/q=Developers-ReadOnly/), a.click('button:has-text("Search")')]);
  await a.getByLabel('AWS-Developers-ReadOnly', { exact: true }).check();
  await snap(a, 'wizard-2');
  await Promise.all([a.waitForURL(/step=3/), a.click('button:has-text("Next")')]);
  await expectText(a, 'main', /Account Sandbox[\s\S]*Group AWS-Developers-ReadOnly/);
  await a.getByLabel('DeveloperAdmin', { exact: true }).check();
  await snap(a, 'wizard-3');
  const assigned = Date.now();
  await Promise.all([a.waitForURL(/done=assigned/), a.click('button:has-text("Assign")')]);
  await expectText(a, '#assignments', /Sandbox[\s\S]*DeveloperAdmin\s+AWS-Developers-ReadOnly/);
  await snap(a, 'assignments-after');
  log('wizard assigned DeveloperAdmin in Sandbox to AWS-Developers-ReadOnly');

  // 6. The access graph of the first user shows the new path.
  await visit(a, base + '/access-graph');
  await a.selectOption('#f-user', { label: users[0] });
  await Promise.all([a.waitForURL(/user=/), a.click('button:has-text("Show")')]);
  await expectText(a, '#paths', /group AWS-Developers-ReadOnly\s+DeveloperAdmin\s+Sandbox/);
  if (!(await a.locator('#access-graph title#graph-title').count())) fail('the graph has no title');
  if ((await a.locator('#access-graph rect').count()) < 4) fail('the graph has too few nodes');
  await snap(a, 'access-graph-user');

  // 7. The first user sees DeveloperAdmin in Sandbox in the portal.
  const u = await browser('user');
  await samlSignIn(u, demo.portal_url, demo.users[0].username, demo.users[0].password, '/start');
  await poll(u, 'first user sees DeveloperAdmin', async () => { await u.goto(demo.portal_url); },
    (b) => /Sandbox[\s\S]*DeveloperAdmin/.test(b));
  log(`assigned -> portal shows it in ${Date.now() - assigned} ms`);
  await snap(u, 'portal-developer-admin');
  // Not an admin: the console refuses them.
  const res = await u.request.get(base, { maxRedirects: 0 });
  if (res.status() !== 403 || !/admin group/.test(await res.text())) fail(`non-admin at the console: HTTP ${res.status()}`);

  // 8. The read-only admin sees no forms; a change is 403.
  const r = await browser('center-auditor');
  watch(r);
  await samlSignIn(r, auditor.url, auditor.username, auditor.password, '/console');
  await visit(r, base + '/permission-sets');
  if (await r.locator('form[method=post]:not([action="/start/logout"])').count()) fail('read-only admin sees change forms');
  for (const p of [developerAdmin, base + '/accounts/222233334444']) {
    await visit(r, p);
    if (await r.locator('form[method=post]:not([action="/start/logout"])').count()) fail(`read-only admin sees change forms at ${p}`);
  }
  await visit(r, base + '/settings');
  if (await r.locator('form[method=post]:not([action="/start/logout"])').count()) fail('read-only admin sees settings forms');
  const csrf = await r.locator('input[name=csrf]').first().inputValue();
  const ro = await r.request.post(base + '/accounts', { form: { csrf, id: '444455556666', name: 'X', email: 'x@gatehouse.example' }, maxRedirects: 0 });
  if (ro.status() !== 403) fail(`read-only POST: HTTP ${ro.status()}, want 403`);
  await snap(r, 'read-only');

  const bad = consoleErrors.filter((e) => e.includes('/console'));
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
