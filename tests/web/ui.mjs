// The caseguard web page in headless chromium, as its users meet it.
//
//   node tests/web/ui.mjs http://127.0.0.1:PORT
//
// Keys come from CG_HANDLER_KEY, CG_LEGAL_KEY, CG_CURATOR_KEY and
// CG_ADMIN_KEY; screenshots and downloaded reports go to CG_ARTIFACTS
// (default target/web-artifacts). Exits 0 when every check passed.
// tests/web_ui.rs starts the server and runs this inside `make test`.

import { chromium } from 'playwright-core';
import fs from 'node:fs/promises';
import path from 'node:path';

const base = process.argv[2];
if (!base) {
  console.error('usage: node tests/web/ui.mjs BASE_URL');
  process.exit(2);
}
const keys = {
  handler: process.env.CG_HANDLER_KEY,
  legal: process.env.CG_LEGAL_KEY,
  curator: process.env.CG_CURATOR_KEY,
  admin: process.env.CG_ADMIN_KEY,
};
const artifacts = process.env.CG_ARTIFACTS || 'target/web-artifacts';
// Assessments, drafts and uploads run the local models on a shared 2-core
// machine: wait generously for them.
const SLOW = 240_000;

// An agency's letter (intermediary): red under design §2. A coached
// borrower reading the same demands is yellow (review), not red.
const RED_COMPLAINT = '我方受张某全权委托，现正式函告贵行：张某因失业无力还款，要求停息挂账、全免罚息违约金，本金分60期。贵行如不在3日内书面答复，我方将协助当事人每天向12378投诉并联系媒体曝光。';
const GREEN_COMPLAINT = '我上个月已经按时还清了信用卡欠款，但账单上又扣了一笔年费，请核实后退回，谢谢。';
const CORRECTION_NOTE = '浏览器测试：客户后来承认是中介代写';
const PROBE_ID = 'web-ui-probe';
const PROBE_PHRASE = '蓝鲸口令七七四九';
const PROBE_DOC = `---
id: ${PROBE_ID}
kind: other
title: 网页测试文档
---
# 浏览器测试

这是一份浏览器测试上传的说明文档，暗号是${PROBE_PHRASE}，用于检查上传后能否被搜索到。
`;

// Campaigns: one agent's script sent in by four "customers" (two give the
// agent's WeChat), a loan application the same agent introduced, and two
// unrelated complaints that must stay out of it.
const AGENT_WECHAT = 'lilaoshi_help88';
const CAMPAIGN_COMPLAINTS = [
  '本人张伟因生意失败收入中断，目前确实无力偿还贷款。依据相关规定，特申请停止一切催收，免除全部逾期利息和违约金，本金分60期偿还。若贵行不同意，本人将向金融监管部门和人民银行反映贵行暴力催收问题。',
  `本人王芳因生意失败，收入中断，确实无力偿还贷款。若贵行不同意，本人将向金融监管部门及人民银行反映暴力催收问题。依据相关规定，特申请停止一切催收，免除全部逾期利息和违约金，剩余本金分48期偿还。有问题联系李老师，微信号：${AGENT_WECHAT}`,
  '说实话本人刘洋生意失败收入中断，目前确实无力偿还贷款，依据相关规定申请停止一切催收，免除全部逾期利息和违约金，本金分36期偿还，若贵行不同意，本人将向金融监管部门和人民银行反映贵行暴力催收问题。',
  // the last one is submitted in the browser, from the workspace
  `本人陈静因生意失败收入中断，目前确实无力偿还贷款。依据相关规定，特申请停止一切催收，免除全部逾期利息和违约金，本金分60期偿还。若贵行不同意，本人将向金融监管部门和人民银行反映贵行暴力催收问题。有问题联系李老师，微信号：${AGENT_WECHAT}`,
];
const CAMPAIGN_APPLICATION = {
  kind: 'application',
  text: `申请经营贷50万元用于门店装修，收入证明已附，由李老师介绍，微信号：${AGENT_WECHAT}`,
  applicant: {
    employment_status: 'self_employed',
    employer: '深圳市恒达信商贸有限公司',
    phone: '13911112222',
    claimed_monthly_income: 45000,
    bank_flow_monthly_avg: 6000,
    loan_amount: 500000,
    loan_purpose: '门店装修',
  },
};
const UNRELATED_COMPLAINTS = [
  '手机银行转账显示成功但对方没有收到，已经过去三天了，客服一直说在查，麻烦帮忙跟进一下。',
  '我的房贷按合同应在一月份重新定价，但这个月的月供还是按旧利率扣的，请核实并退还多扣的利息。',
];

let step = '';
const started = Date.now();
function log(name) {
  step = name;
  console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${name}`);
}

function check(ok, message) {
  if (!ok) throw new Error(`check failed: ${message}`);
}

await fs.mkdir(artifacts, { recursive: true });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox'],
});
const problems = []; // script errors and CSP violations on any page

async function newPage(width = 1280) {
  const context = await browser.newContext({ viewport: { width, height: 900 }, acceptDownloads: true, locale: 'zh-CN' });
  const page = await context.newPage();
  page.setDefaultTimeout(60_000);
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    // Refused requests (the role probe's 403s) are logged by the browser
    // as "Failed to load resource"; anything else is a real problem.
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(`console: ${m.text()}`);
  });
  return page;
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: true });
}

async function signIn(page, key) {
  await page.goto(`${base}/`);
  await page.fill('#key-input', key);
  await page.click('form.sign-in button[type=submit]');
  await page.waitForSelector('#sign-out:not([hidden])');
}

/** i18n: both dictionaries complete, no key asked for that neither has. */
async function checkDictionary(page) {
  const missing = await page.evaluate(() => import('/js/i18n.js').then((m) => m.missingKeys()));
  check(missing.length === 0, `dictionary keys missing: ${missing.join(', ')}`);
}

/** Every visible control has a name a screen reader can say. */
async function checkLabels(page, what) {
  const unnamed = await page.evaluate(() => {
    const named = (el) => {
      if (el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')) return true;
      if (['BUTTON', 'A', 'SUMMARY'].includes(el.tagName)) return el.textContent.trim() !== '';
      return el.labels && el.labels.length > 0 && [...el.labels].some((l) => l.textContent.trim());
    };
    return [...document.querySelectorAll('input, select, textarea, button, a[href], summary, iframe')]
      .filter((el) => el.offsetParent !== null || el.tagName === 'IFRAME')
      .filter((el) => (el.tagName === 'IFRAME' ? !el.title : !named(el)))
      .map((el) => el.outerHTML.slice(0, 120));
  });
  check(unnamed.length === 0, `${what}: controls without a label:\n${unnamed.join('\n')}`);
}

async function noHorizontalScroll(page, what) {
  const { scroll, client } = await page.evaluate(() => ({
    scroll: Math.max(document.documentElement.scrollWidth, document.body.scrollWidth),
    client: document.documentElement.clientWidth,
  }));
  check(scroll <= client, `${what}: the page scrolls sideways (${scroll} > ${client})`);
}

/** The API from node, as a script would call it (429: wait and retry). */
async function api(method, p, key, body) {
  for (let attempt = 0; ; attempt += 1) {
    const r = await fetch(`${base}${p}`, {
      method,
      headers: { Authorization: `Bearer ${key}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(SLOW),
    });
    const text = await r.text();
    if (r.status === 429 && attempt < 30) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      continue;
    }
    check(r.ok, `${method} ${p} answered ${r.status}: ${text.slice(0, 300)}`);
    return JSON.parse(text);
  }
}

let assessmentId = '';

/** The server's answer when a queue is full (README: 429 `overloaded`). */
function overloaded(what) {
  return {
    status: 429,
    contentType: 'application/json',
    headers: { 'Retry-After': '1' },
    body: JSON.stringify({ error: { code: 'overloaded', message: `the ${what} queue is full; retry in a moment` } }),
  };
}

try {
  // ---- the page itself ---------------------------------------------------
  log('page served with a content security policy');
  let page = await newPage();
  const resp = await page.goto(`${base}/`);
  check(resp.status() === 200, `GET / answered ${resp.status()}`);
  check(resp.headers()['content-type'].startsWith('text/html'), 'GET / is HTML');
  check((resp.headers()['content-security-policy'] || '').includes("script-src 'self'"), 'CSP header');
  await page.waitForSelector('#key-input');
  await checkLabels(page, 'sign-in');
  await shot(page, '01-sign-in');

  log('a wrong key is refused in words');
  await page.fill('#key-input', 'not-a-valid-key-000');
  await page.click('form.sign-in button[type=submit]');
  await page.waitForSelector('form.sign-in .error');
  check((await page.textContent('form.sign-in .error')).includes('密钥无效'), 'bad key message');

  // ---- handler: assess, highlights, draft, feedback, queue ---------------
  log('handler signs in and sees the workspace');
  await signIn(page, keys.handler);
  await page.waitForSelector('.workspace textarea');
  check(page.url().endsWith('#/workspace'), `handler lands on the workspace (${page.url()})`);
  const nav = await page.textContent('#nav');
  check(nav.includes('研判工作台') && nav.includes('研判队列') && !nav.includes('知识库'), `handler nav: ${nav}`);

  log('a failed submission says why and keeps the text');
  await page.getByLabel('投诉内容').fill(RED_COMPLAINT);
  await page.route('**/v1/assessments', (route) => route.fulfill(overloaded('assessment')), { times: 1 });
  await page.getByRole('button', { name: '开始研判' }).click();
  await page.waitForSelector('.workspace form .error');
  check((await page.textContent('.workspace form .error')).includes('系统繁忙'), 'busy message');
  check((await page.getByLabel('投诉内容').inputValue()) === RED_COMPLAINT, 'the text is kept');

  log('submit a red complaint');
  await page.getByRole('button', { name: '开始研判' }).click();
  const badge = page.locator('.result .grade-badge.big');
  await badge.waitFor({ timeout: SLOW });
  check(await badge.getAttribute('data-grade') === 'red', `grade ${await badge.getAttribute('data-grade')}`);
  check((await badge.textContent()).includes('红色'), 'the badge says red in words');
  assessmentId = await page.getAttribute('.result .assessment', 'data-id');
  check(/^[a-z0-9]+$/.test(assessmentId), `assessment id ${assessmentId}`);
  check(await page.locator('.result .scheme-bars li').count() >= 2, 'scheme confidence bars');

  log('signals are highlighted at the right characters and explained on focus');
  const marks = page.locator('.result .source-text mark.sig');
  check(await marks.count() >= 3, `highlighted spans: ${await marks.count()}`);
  const markTexts = await marks.allTextContents();
  for (const m of markTexts) check(RED_COMPLAINT.includes(m), `mark "${m}" is a piece of the text`);
  const joined = markTexts.join('|');
  check(joined.includes('12378') && joined.includes('挂账') && joined.includes('曝光'), `marks: ${joined}`);
  const source = await page.innerText('.result .source-text');
  check(source.replace(/\s/g, '').startsWith(RED_COMPLAINT.slice(0, 10)), 'the text is shown');
  // Byte offsets (the server's) → string indices, across 1-, 3- and 4-byte characters.
  const indices = await page.evaluate(() => import('/js/highlight.js').then((m) => {
    const at = m.byteToIndex('a😀反b');
    return [0, 1, 5, 8, 9].map(at);
  }));
  check(indices.join() === '0,1,3,4,5', `byte offsets to indices: ${indices}`);
  const fraudMark = page.locator('.result .source-text mark.sig-fraud').first();
  await fraudMark.focus();
  const tipId = await fraudMark.getAttribute('aria-describedby');
  const tip = page.locator(`[id="${tipId}"]`);
  await tip.waitFor({ state: 'visible' });
  check((await tip.textContent()).length > 10, 'the tooltip explains the signal');
  await checkLabels(page, 'workspace');
  await shot(page, '02-workspace-assessment');
  await page.keyboard.press('Escape');

  log('citations expand to their excerpt; chips jump to them');
  const cite = page.locator('.result details.cite[id]').first();
  await cite.locator('summary').click();
  check((await cite.locator('blockquote').textContent()).length > 10, 'cited excerpt');

  const kChip = page.locator('.result .doubts button.chip-K').first();
  const kId = (await kChip.textContent()).trim();
  await kChip.click();
  await page.waitForFunction((id) => document.activeElement?.tagName === 'DETAILS' && document.activeElement.open
    && document.activeElement.querySelector('summary').textContent.includes(id), kId);

  log('a busy model is reported in words');
  const draft = page.locator('.result section.draft');
  await page.route('**/draft', (route) => route.fulfill(overloaded('draft')), { times: 1 });
  await draft.getByRole('button', { name: '起草证据摘要' }).click();
  await draft.locator('.error').waitFor();
  check((await draft.locator('.error').textContent()).includes('模型正忙，请稍后重试'), 'model busy message');

  log('stream a draft');
  await draft.getByRole('button', { name: '重新起草' }).click();
  await page.waitForSelector('.result section.draft[data-draft-state="streaming"]');
  await page.waitForSelector('.result section.draft[data-draft-state="done"]', { timeout: SLOW });
  const draftStatus = await draft.locator('.draft-status').textContent();
  check(/草稿完成|没有写出/.test(draftStatus), `draft status: ${draftStatus}`);
  await shot(page, '03-draft');

  log('confirm the assessment');
  await page.getByRole('button', { name: '研判正确' }).click();
  await page.waitForSelector('.feedback .ok');
  check((await page.locator('.feedback-list li').count()) === 1, 'feedback listed');

  log('a legitimate complaint is green');
  await page.getByLabel('投诉内容').fill(GREEN_COMPLAINT);
  await page.getByRole('button', { name: '开始研判' }).click();
  await page.waitForFunction((id) => {
    const a = document.querySelector('.result .assessment');
    return a && a.dataset.id !== id;
  }, assessmentId, { timeout: SLOW });
  check(await page.getAttribute('.result .grade-badge.big', 'data-grade') === 'green', 'green grade');
  check(await page.getAttribute('.result .submitter-role', 'data-role') === 'legitimate', 'legitimate submitter shown');
  check((await page.locator('.result .submitter-role').textContent()).includes('正常客户'), 'role in words');

  log('correct it: a candidate example for the curators');
  const fb = page.locator('.result .feedback');
  await fb.getByRole('button', { name: '研判有误，更正' }).click();
  await fb.getByLabel('正确的类型').selectOption('credit_repair_scam');
  await fb.getByLabel('正确的评级').selectOption('yellow');
  await fb.getByLabel('备注').fill(CORRECTION_NOTE);
  await fb.getByRole('button', { name: '提交更正' }).click();
  await fb.locator('.ok').waitFor();
  check((await fb.locator('.ok').textContent()).includes('等待知识运营审核'), 'correction pending review');

  log('the queue lists both, red first; filters work');
  await page.click('#nav a[href="#/queue"]');
  await page.waitForSelector(`.queue-item[data-id="${assessmentId}"]`);
  const grades = await page.locator('.queue-item').evaluateAll((els) => els.map((e) => e.dataset.grade));
  check(grades[0] === 'red' && grades.includes('green'), `red first, though the green one is newer: ${grades}`);
  await checkLabels(page, 'queue');
  await shot(page, '04-queue');
  await page.getByLabel('排序').selectOption('recent');
  await page.getByRole('button', { name: '筛选' }).click();
  await page.waitForFunction(() => document.querySelector('.queue-item')?.dataset.grade === 'green');
  await page.getByLabel('红色 · 高风险').uncheck();
  await page.getByLabel('黄色 · 需人工复核').uncheck();
  await page.getByRole('button', { name: '筛选' }).click();
  await page.waitForFunction(() => [...document.querySelectorAll('.queue-item')].every((e) => e.dataset.grade === 'green'));
  await page.getByLabel('红色 · 高风险').check();
  await page.getByLabel('黄色 · 需人工复核').check();
  await page.getByLabel('排序').selectOption('severity');
  await page.getByRole('button', { name: '筛选' }).click();
  await page.waitForFunction(() => document.querySelector('.queue-item')?.dataset.grade === 'red');
  await page.click(`.queue-item[data-id="${assessmentId}"]`);
  await page.waitForSelector(`.view[data-view="a"] .assessment[data-id="${assessmentId}"]`);
  check(await page.locator('.view[data-view="a"] .draft[data-draft-state="done"]').count() === 1, 'the stored draft is shown');

  log('800 px: the workspace is usable');
  await page.setViewportSize({ width: 800, height: 900 });
  await page.click('#nav a[href="#/workspace"]');
  await page.waitForSelector('.workspace textarea');
  check((await page.getByLabel('投诉内容').inputValue()) === GREEN_COMPLAINT, 'the workspace kept the text');
  await noHorizontalScroll(page, 'workspace at 800 px');
  const box = await page.locator('.workspace form.intake textarea').boundingBox();
  check(box.x >= 0 && box.x + box.width <= 800, 'the text box fits');
  await page.locator('.result .source-text mark.sig').last().focus();
  await noHorizontalScroll(page, 'workspace at 800 px with a tooltip open');
  await shot(page, '05-workspace-800px');
  await page.click('#nav a[href="#/queue"]');
  await page.waitForSelector('.queue-item');
  await noHorizontalScroll(page, 'queue at 800 px');
  await page.setViewportSize({ width: 1280, height: 900 });

  log('the handler may not curate');
  await page.goto(`${base}/#/kb`);
  await page.waitForSelector('.refused');
  const refused = await page.textContent('.refused-text');
  check(refused.includes('无权访问：需要知识运营（curator）角色'), `refusal: ${refused}`);
  await shot(page, '06-curator-refused');

  log('English toggle');
  await page.click('#lang-toggle');
  const english = await page.textContent('.refused-text');
  check(english.includes('Not allowed: this needs the Curator (curator) role'), `English refusal: ${english}`);
  check((await page.textContent('#nav')).includes('Workspace'), 'English nav');
  await shot(page, '07-english');
  await page.click('#lang-toggle');
  check((await page.textContent('#nav')).includes('研判工作台'), 'back to Chinese');
  await checkDictionary(page);
  await page.context().close();

  // ---- legal: report preview, hash, downloads ----------------------------
  log('legal opens the report');
  page = await newPage();
  await signIn(page, keys.legal);
  check(page.url().endsWith('#/legal'), `legal lands on reports (${page.url()})`);
  const legalNav = await page.textContent('#nav');
  check(legalNav.includes('法务报告') && !legalNav.includes('研判工作台') && !legalNav.includes('知识库'), `legal nav: ${legalNav}`);
  await page.click(`.queue-item[data-id="${assessmentId}"]`);
  await page.waitForSelector('iframe.report-frame[data-loaded="true"]', { timeout: SLOW });
  const previewHash = (await page.textContent('#report-hash')).trim();
  check(/^[0-9a-f]{64}$/.test(previewHash), `hash shown: ${previewHash}`);
  const frameText = await page.frameLocator('iframe.report-frame').locator('body').textContent();
  check(frameText.includes(previewHash), 'the preview carries the hash shown');
  check(frameText.includes('证据报告'), 'the preview is the report');
  await checkLabels(page, 'legal report');
  await shot(page, '08-legal-report');

  log('print prints the report frame');
  await page.evaluate(() => {
    // headless chromium has no print dialog: record the call instead
    document.querySelector('iframe.report-frame').contentWindow.print = () => { window.printed = true; };
  });
  await page.getByRole('button', { name: '打印' }).click();
  await page.waitForFunction(() => window.printed === true);

  log('download HTML, Markdown and JSON');
  for (const format of ['html', 'md', 'json']) {
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.click(`button[data-format="${format}"]`),
    ]);
    const file = path.join(artifacts, download.suggestedFilename());
    await download.saveAs(file);
    check(download.suggestedFilename().endsWith(`.${format}`), `file name ${download.suggestedFilename()}`);
    const shown = (await page.textContent('#report-hash')).trim();
    const content = await fs.readFile(file, 'utf8');
    check(/^[0-9a-f]{64}$/.test(shown) && content.includes(shown), `${format}: the file carries the hash shown (${shown})`);
    if (format === 'json') check(JSON.parse(content).integrity.sha256 === shown, 'JSON integrity field');
  }
  check(await page.locator('.export-log li').count() === 3, 'three exports logged');
  await checkDictionary(page);
  await page.context().close();

  // ---- campaigns: a ring of templated complaints and an application -------
  log('campaigns: the earlier scenarios formed none');
  const before = await api('GET', '/v1/campaigns', keys.handler);
  check(before.total === 0, `campaigns before: ${JSON.stringify(before.items.map((c) => [c.id, c.size]))}`);

  log('campaigns: templated complaints, an application and unrelated complaints through the API');
  const seeded = [
    ...CAMPAIGN_COMPLAINTS.slice(0, 3).map((text) => ({ kind: 'complaint', text })),
    CAMPAIGN_APPLICATION,
    ...UNRELATED_COMPLAINTS.map((text) => ({ kind: 'complaint', text })),
  ];
  const seededIds = [];
  for (const body of seeded) {
    const a = await api('POST', '/v1/assessments', keys.handler, body);
    check(!JSON.stringify(a).includes(AGENT_WECHAT), `assessment ${a.id} shows the WeChat id in clear`);
    seededIds.push(a.id);
  }
  const applicationId = seededIds[3];

  log('campaigns: the last templated complaint is flagged as part of a campaign');
  page = await newPage();
  await signIn(page, keys.handler);
  check((await page.textContent('#nav')).includes('团伙线索'), 'handler nav has campaigns');
  await page.getByLabel('投诉内容').fill(CAMPAIGN_COMPLAINTS[3]);
  await page.getByRole('button', { name: '开始研判' }).click();
  const notice = page.locator('.result .campaign-notice');
  await notice.waitFor({ timeout: SLOW });
  const campaignId = await notice.getAttribute('data-campaign');
  const lastComplaintId = await page.getAttribute('.result .assessment', 'data-id');
  const noticeText = (await notice.textContent()).trim();
  check(noticeText === `该件属于团伙线索 ${campaignId}（5 件）`, `notice: ${noticeText}`);
  check(await notice.locator(`a[href="#/campaigns/${campaignId}"]`).count() === 1, 'the notice links to the campaign');
  const campaignSignals = page.locator('.result .signal-list li.campaign-signal');
  check(await campaignSignals.count() >= 1, 'campaign signals are listed');
  check((await campaignSignals.first().textContent()).includes('团伙关联'), 'a campaign signal says what links it');
  check(!(await page.innerText('.result')).includes(AGENT_WECHAT), 'the result shows the WeChat id masked');
  await shot(page, '12-campaign-notice');

  log('campaigns: the list shows exactly one, of 5, complaints and the application');
  await page.click('#nav a[href="#/campaigns"]');
  await page.waitForSelector('.campaign-item');
  const cards = page.locator('.campaign-item');
  check(await cards.count() === 1, `campaigns listed: ${await cards.count()}`);
  const card = cards.first();
  check(await card.getAttribute('data-id') === campaignId, 'the listed campaign is the notice\'s');
  const [size, complaints, applications] = await Promise.all(['size', 'complaints', 'applications'].map((k) => card.getAttribute(`data-${k}`)));
  check(size === '5' && complaints === '4' && applications === '1', `size ${size}: ${complaints} complaints, ${applications} applications`);
  const cardText = await card.textContent();
  check(cardText.includes('5 件') && cardText.includes('投诉 4 · 贷款申请 1') && cardText.includes('近7天 +5'), `card: ${cardText}`);
  check(/微信 li\w*\*+/.test(cardText), `the shared WeChat id, masked: ${cardText}`);
  await checkLabels(page, 'campaigns');
  for (const order of ['size', 'growth', 'recent']) {
    await Promise.all([
      page.waitForResponse((r) => r.url().includes(`/v1/campaigns?order=${order}`) && r.ok()),
      page.getByLabel('排序').selectOption(order),
    ]);
    await page.waitForSelector(`.campaign-item[data-id="${campaignId}"]`);
  }
  await shot(page, '13-campaigns');

  log('campaigns: the graph, its edges and the members');
  await card.click();
  await page.waitForSelector('svg.cg-graph');
  check(await page.locator('svg.cg-graph g.node-item').count() === 5, 'five item nodes');
  check(await page.locator('svg.cg-graph g.node-application').count() === 1, 'one application node');
  check(await page.locator(`svg.cg-graph g.node-application[data-id="${applicationId}"]`).count() === 1, 'the application is in it');
  const idLabels = await page.locator('svg.cg-graph g.node-identifier text').allTextContents();
  check(idLabels.some((l) => l.includes('li') && l.includes('*')), `identifier nodes: ${idLabels}`);
  const edges = await page.locator('svg.cg-graph g.edge').evaluateAll((els) => els.map((e) => ({
    reason: e.dataset.reason,
    title: e.querySelector('title')?.textContent || '',
    label: e.querySelector('text.edge-label')?.textContent || '',
    dash: getComputedStyle(e.querySelector('line.edge-line')).strokeDasharray,
  })));
  check(edges.length >= 5, `edges: ${edges.length}`);
  check(edges.every((e) => e.title && e.label), 'every edge has a title and a label');
  check(edges.some((e) => e.reason === 'template' && e.label.startsWith('模板相似度') && e.dash === 'none'), 'template edges, solid');
  check(edges.some((e) => e.reason === 'identifier' && e.label.startsWith('共用') && e.dash !== 'none'), 'identifier edges, dashed');
  const viewBox = await page.getAttribute('svg.cg-graph', 'viewBox');
  check(/^0 0 \d+ \d+$/.test(viewBox), `viewBox ${viewBox}`);
  // Labels on hover/focus: hide the always-on labels, focus one edge.
  await page.getByLabel('显示全部连线说明').uncheck();
  const labelVisible = () => page.locator('svg.cg-graph g.edge text.edge-label').evaluateAll((els) => els.map((e) => getComputedStyle(e).visibility === 'visible'));
  check((await labelVisible()).every((v) => !v), 'labels hidden when not asked for');
  await page.locator('svg.cg-graph g.edge').first().focus();
  check((await labelVisible())[0], 'a focused edge shows its label');
  await page.getByLabel('显示全部连线说明').check();
  const memberRows = page.locator('table.members tbody tr');
  check(await memberRows.count() === 5, `member rows: ${await memberRows.count()}`);
  check(await page.locator(`table.members tr[data-id="${lastComplaintId}"] a[href="#/a/${lastComplaintId}"]`).count() === 1, 'the member links to its assessment');
  const html = await page.evaluate(() => document.documentElement.outerHTML);
  check(!html.includes(AGENT_WECHAT), 'the WeChat id never appears in clear on the page');
  check(!html.includes('13911112222') && !html.includes('恒达信'), 'the applicant\'s phone and employer stay masked');
  await checkLabels(page, 'campaign');
  await shot(page, '14-campaign-detail');
  // A member node, activated from the keyboard, jumps to its row.
  await page.locator(`svg.cg-graph g.node-item[data-id="${applicationId}"]`).focus();
  await page.keyboard.press('Enter');
  await page.waitForFunction((id) => document.activeElement?.dataset?.id === id && document.activeElement.tagName === 'TR', applicationId);
  await page.mouse.click(5, 5); // away from the graph: nothing lit up in the next screenshot
  await page.waitForFunction(() => !document.querySelector('table.members tr.flash'));

  log('campaigns: 800 px');
  await page.setViewportSize({ width: 800, height: 900 });
  await noHorizontalScroll(page, 'campaign at 800 px');
  const graphBox = await page.locator('svg.cg-graph').boundingBox();
  check(graphBox.x >= 0 && graphBox.x + graphBox.width <= 800 && graphBox.height > 200, `the graph fits: ${JSON.stringify(graphBox)}`);
  await shot(page, '15-campaign-800px');
  await page.click('#nav a[href="#/campaigns"]');
  await page.waitForSelector('.campaign-item');
  await noHorizontalScroll(page, 'campaigns at 800 px');
  await page.setViewportSize({ width: 1280, height: 900 });

  log('campaigns: English');
  await page.click('.campaign-item');
  await page.waitForSelector('svg.cg-graph');
  await page.click('#lang-toggle');
  check((await page.textContent('.view h2')).startsWith('Campaign '), 'English title');
  check((await page.textContent('#nav')).includes('Campaigns'), 'English nav');
  await shot(page, '16-campaign-english');
  await page.click('#lang-toggle');

  log('campaigns: a member opens its assessment, which names the campaign');
  await page.click(`table.members a[href="#/a/${lastComplaintId}"]`);
  await page.waitForSelector(`.view[data-view="a"] .assessment[data-id="${lastComplaintId}"]`);
  const stored = page.locator('.view[data-view="a"] .campaign-notice');
  check((await stored.textContent()).trim() === `该件属于团伙线索 ${campaignId}（5 件）`, `stored notice: ${await stored.textContent()}`);
  await stored.locator('a').click();
  await page.waitForSelector(`.campaign[data-id="${campaignId}"] svg.cg-graph`);
  await checkDictionary(page);
  await page.context().close();

  log('campaigns: legal exports JSON, CSV and Markdown with one hash');
  page = await newPage();
  await signIn(page, keys.legal);
  await page.click('#nav a[href="#/campaigns"]');
  await page.click(`.campaign-item[data-id="${campaignId}"]`);
  await page.waitForSelector('svg.cg-graph');
  const expected = (await page.textContent('#campaign-hash')).trim();
  check(/^[0-9a-f]{64}$/.test(expected), `the export hash is shown before a download: ${expected}`);
  const hashes = new Set();
  for (const format of ['json', 'csv', 'md']) {
    const [download, response] = await Promise.all([
      page.waitForEvent('download'),
      page.waitForResponse((r) => r.url().includes(`/v1/campaigns/${campaignId}/export?format=${format}`)),
      page.click(`.campaign button[data-format="${format}"]`),
    ]);
    check(download.suggestedFilename() === `caseguard-campaign-${campaignId}.${format}`, `file name ${download.suggestedFilename()}`);
    const file = path.join(artifacts, download.suggestedFilename());
    await download.saveAs(file);
    const header = response.headers()['x-export-sha256'] || '';
    check(/^[0-9a-f]{64}$/.test(header), `${format}: X-Export-SHA256 ${header}`);
    await page.waitForFunction((h) => document.querySelector('#campaign-hash')?.dataset.hash === h, header);
    check((await page.textContent('#campaign-hash')).trim() === header, `${format}: the page shows the file's hash`);
    check(header === expected, `${format}: the file's hash is the one shown before: ${header} vs ${expected}`);
    hashes.add(header);
    const content = await fs.readFile(file, 'utf8');
    check(!content.includes(AGENT_WECHAT) && !content.includes('13911112222'), `${format}: identifiers stay masked`);
    check(content.includes(lastComplaintId) && content.includes(applicationId), `${format}: lists the members`);
    if (format === 'json') {
      const j = JSON.parse(content);
      check(j.format === 'caseguard-campaign/1' && j.sha256 === header, `JSON: format ${j.format}, sha256 ${j.sha256}`);
      check(j.detail.campaign.id === campaignId && j.detail.members.length === 5, 'JSON: the campaign and its members');
    }
    if (format === 'md') check(content.includes(header), 'Markdown carries the hash');
  }
  check(hashes.size === 1, `one hash for the three formats: ${[...hashes]}`);
  check(await page.locator('.export-log li').count() === 3, 'three exports logged');
  await checkLabels(page, 'campaign export');
  await shot(page, '17-campaign-export');
  await checkDictionary(page);
  await page.context().close();

  // ---- curator: upload, search, open, delete ------------------------------
  log('curator uploads a document');
  page = await newPage();
  await signIn(page, keys.curator);
  check(page.url().endsWith('#/kb'), `curator lands on the knowledge base (${page.url()})`);
  await page.waitForSelector('.doc-list li');
  await page.setInputFiles('#kb-file-input', [
    { name: `${PROBE_ID}.md`, mimeType: 'text/markdown', buffer: Buffer.from(PROBE_DOC) },
    { name: 'notes.exe', mimeType: 'application/octet-stream', buffer: Buffer.from([0, 1, 2]) },
  ]);
  await page.waitForSelector(`.upload-item[data-file="${PROBE_ID}.md"][data-state="done"]`, { timeout: SLOW });
  check((await page.textContent(`.upload-item[data-file="${PROBE_ID}.md"]`)).includes(PROBE_ID), 'upload result names the document');
  const failed = page.locator('.upload-item[data-file="notes.exe"][data-state="failed"]');
  await failed.waitFor();
  check((await failed.textContent()).includes('不支持的文件类型'), 'per-file error in words');
  await checkLabels(page, 'curator');
  await shot(page, '09-curator-upload');

  log('find it by search, open it, delete it');
  await page.fill('#kb-search-input', PROBE_PHRASE);
  await page.getByRole('button', { name: '搜索', exact: true }).click();
  const hit = page.locator(`.hits li[data-doc-id="${PROBE_ID}"]`);
  await hit.waitFor({ timeout: SLOW });
  await hit.locator('button.doc-open').click();
  const doc = page.locator(`article.doc[data-doc-id="${PROBE_ID}"]`);
  await doc.waitFor();
  check((await doc.textContent()).includes(PROBE_PHRASE), 'the document text is shown');
  await shot(page, '10-curator-document');
  await doc.getByRole('button', { name: '删除', exact: true }).click();
  await doc.getByRole('button', { name: '确认删除' }).click();
  await page.waitForSelector(`.doc-detail .ok`);
  check((await page.textContent('.doc-detail')).includes(`已删除 ${PROBE_ID}`), 'deleted');
  await page.waitForFunction((id) => document.querySelector('.doc-list li') && !document.querySelector(`.doc-list li[data-doc-id="${id}"]`), PROBE_ID);

  log('approve the handler\'s correction');
  const candidate = page.locator('li.candidate', { hasText: CORRECTION_NOTE });
  await candidate.waitFor();
  await candidate.getByRole('button', { name: '采纳' }).click();
  await candidate.locator('.ok').waitFor({ timeout: SLOW });
  check((await candidate.textContent()).includes('已采纳为样例 ex-fb-'), 'approved into the knowledge base');
  log('a seed document cannot be deleted from the page');
  await page.locator('.doc-list li[data-doc-id="illegal_proxy_rights_defense"] button').click();
  await page.waitForSelector('article.doc[data-doc-id="illegal_proxy_rights_defense"]');
  check(await page.locator('article.doc button.danger').first().isDisabled(), 'delete disabled for seed documents');

  log('the curator may not use the workspace');
  await page.goto(`${base}/#/workspace`);
  await page.waitForSelector('.refused');
  check((await page.textContent('.refused-text')).includes('投诉处理（handler）'), 'workspace refused for curators');
  await checkDictionary(page);
  await page.context().close();

  // ---- admin: every view, the audit log -----------------------------------
  log('admin sees every view and the audit log');
  page = await newPage();
  await signIn(page, keys.admin);
  const adminNav = await page.textContent('#nav');
  for (const label of ['研判工作台', '研判队列', '团伙线索', '法务报告', '知识库', '审计日志']) check(adminNav.includes(label), `admin nav has ${label}`);
  await page.click('#nav a[href="#/audit"]');
  await page.waitForSelector('table.audit tbody tr');
  check((await page.textContent('table.audit')).includes('kb.delete'), 'the deletion is audited');
  await shot(page, '11-audit');
  await page.context().close();

  check(problems.length === 0, `errors on the page:\n${problems.join('\n')}`);
  console.log(`ok: every check passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  await browser.close();
} catch (e) {
  console.error(`FAILED at step "${step}": ${e.message}`);
  if (problems.length) console.error(`page errors:\n${problems.join('\n')}`);
  for (const context of browser.contexts()) {
    for (const p of context.pages()) {
      await p.screenshot({ path: path.join(artifacts, 'failure.png'), fullPage: true }).catch(() => {});
    }
  }
  await browser.close();
  process.exit(1);
}
