// initlab serve in a real browser: Debian's chromium driven by playwright-core.
//   node serve_e2e.mjs URL OUT_DIR
// Loads the page, waits for the first drawing (exercise 1: normal:std=1 and
// normal:std=0.01 with sigmoid), switches arm A's initializer to
// xavier_normal, and checks that the histograms, the std line and the
// numbers changed the way they must; then the preset of exercise 3, the
// gradient view and the three downloads. Saves OUT_DIR/serve.png.
import { readFileSync } from "node:fs";
import { chromium } from "playwright-core";

const [url, outDir] = process.argv.slice(2);
if (!url || !outDir) {
  console.error("usage: node serve_e2e.mjs URL OUT_DIR");
  process.exit(2);
}
let failures = 0;
function check(ok, what) {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}`);
  if (!ok) failures++;
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  // No sandbox as root; and no background traffic: the machine's network is closed.
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  page.on("request", (r) => {
    if (!r.url().startsWith(url)) errors.push("fetched from outside: " + r.url());
  });
  await page.goto(url);
  await page.waitForFunction(() => Number(document.body.dataset.runs || 0) >= 1, null,
                             { timeout: 20000 });
  const state = () => page.evaluate(() => ({
    runs: Number(document.body.dataset.runs),
    hists: document.getElementById("hists").toDataURL(),
    std: document.getElementById("std").toDataURL(),
    init: document.getElementById("arm0-init").value,
    table: [...document.querySelectorAll("#numbers tr")].map((tr) =>
      [...tr.children].map((c) => c.textContent)),
    status: document.getElementById("status").textContent,
  }));
  const before = await state();
  check(before.init === "normal", `arm A starts at normal (got ${before.init})`);
  const col = before.table[0].indexOf("A std");
  check(col > 0, "the numbers table has an 'A std' column");
  const std1 = before.table.slice(1).map((r) => Number(r[col]));
  check(std1.length === 5, `5 layers in the table (got ${std1.length})`);
  // N(0,1) weights with sigmoid saturate: the activations pile up at 0 and 1,
  // std about 0.45 at layer 1 (initlab lecture: 0.458).
  check(std1[0] > 0.4 && std1[0] < 0.5, `N(0,1)+sigmoid layer-1 std ${std1[0]} in (0.4, 0.5)`);

  const t0 = Date.now();
  await page.selectOption("#arm0-init", "xavier_normal");
  await page.waitForFunction((n) => Number(document.body.dataset.runs) > n, before.runs,
                             { timeout: 20000 });
  const redrawMs = Date.now() - t0;
  const after = await state();
  check(after.init === "xavier_normal", "arm A is now xavier_normal");
  check(after.hists !== before.hists, "the histograms were redrawn differently");
  check(after.std !== before.std, "the std-per-layer line changed");
  const std2 = after.table.slice(1).map((r) => Number(r[col]));
  // Xavier keeps sigmoid's inputs near 0, so the outputs gather around 0.5
  // with a much smaller spread than the saturated N(0,1) case.
  check(std2[0] < 0.5 * std1[0], `xavier_normal+sigmoid layer-1 std ${std2[0]} < half of ${std1[0]}`);
  check(after.table[0].includes("A theory std"), "the theory column is shown");
  console.log(`redraw after the change: ${redrawMs} ms (${after.status})`);
  check(errors.length === 0, "no page errors, nothing fetched from outside" +
        (errors.length ? ": " + errors.join("; ") : ""));
  await page.screenshot({ path: `${outDir}/serve.png`, fullPage: false });
  console.log(`screenshot: ${outDir}/serve.png`);

  // The lecture's exercise 3 as a preset: He + ReLU keeps std about 0.82
  // in every layer (initlab lecture 3: 0.826 at layer 1).
  let runs = (await state()).runs;
  await page.click("[data-preset='3']");
  await page.waitForFunction((n) => Number(document.body.dataset.runs) > n, runs, { timeout: 20000 });
  const ex3 = await state();
  const he = ex3.table.slice(1).map((r) => Number(r[col]));
  check(ex3.init === "lecture_he", `preset 3 sets arm A to lecture_he (got ${ex3.init})`);
  check(he.every((v) => v > 0.7 && v < 0.95), `He+ReLU std per layer ${he.join(", ")} all in (0.7, 0.95)`);

  // The gradient view appears with the backward pass.
  runs = ex3.runs;
  await page.check("#grad");
  await page.waitForFunction((n) => Number(document.body.dataset.runs) > n, runs, { timeout: 20000 });
  const g = await page.evaluate(() => ({
    hidden: document.getElementById("grad-view").hidden,
    head: [...document.querySelectorAll("#numbers th")].map((c) => c.textContent),
  }));
  check(!g.hidden, "the gradient view is shown");
  check(g.head.includes("A std dL/dz"), "the table gains std dL/dz");
  await page.screenshot({ path: `${outDir}/serve-grad.png`, fullPage: true });
  // The three downloads: report.json (what was drawn), stats.csv, a PNG.
  const downloads = {};
  for (const [button, name] of [["#dl-json", "report.json"], ["#dl-csv", "stats.csv"],
                                ["#dl-png", "initlab.png"]]) {
    const [dl] = await Promise.all([page.waitForEvent("download", { timeout: 20000 }),
                                    page.click(button)]);
    const path = `${outDir}/download-${dl.suggestedFilename()}`;
    await dl.saveAs(path);
    downloads[name] = { file: dl.suggestedFilename(), bytes: readFileSync(path) };
  }
  check(downloads["report.json"].file === "report.json", "report.json downloads under its name");
  let report = null;
  try { report = JSON.parse(downloads["report.json"].bytes.toString()); } catch (_) { /* checked below */ }
  check(report && report.arms && report.arms.length === 2 && report.arms[0].layers[0].grad_pre,
        "report.json is the run shown: 2 arms, with gradients");
  const csv = downloads["stats.csv"].bytes.toString();
  check(downloads["stats.csv"].file === "stats.csv" && csv.startsWith("arm,init,act,bias,layer,") &&
        csv.trim().split("\n").length === 1 + 2 * 5, "stats.csv: a header and 2 x 5 rows");
  const png = downloads["initlab.png"].bytes;
  check(png.length > 1000 && png.readUInt32BE(0) === 0x89504e47, `the PNG is a PNG (${png.length} bytes)`);
  check(errors.length === 0, "still no page errors" + (errors.length ? ": " + errors.join("; ") : ""));

  // the network picker: resmlp 8 x 64, recipes he and fixup as the arms,
  // the depth chart (the stream's rms per block). He on both dense layers
  // triples the stream's second moment per block (issue 18), so its rms
  // grows by sqrt(3) a block; fixup's last dense is zero, so it stays.
  runs = (await state()).runs;
  await page.uncheck("#grad");
  await page.check("#net-on");
  await page.fill("#net-spec", "resmlp:blocks=8,width=64");
  await page.waitForFunction(() => !document.getElementById("depth-view").hidden &&
    document.querySelectorAll("#numbers tr").length === 9, null, { timeout: 20000 })
    .catch(async (e) => { console.log("net picker:", await page.evaluate(() =>
      document.getElementById("error").textContent + " | " + document.getElementById("status").textContent)); throw e; });
  const net = await page.evaluate(() => ({
    head: [...document.querySelectorAll("#numbers th")].map((c) => c.textContent),
    rows: [...document.querySelectorAll("#numbers tr")].slice(1).map((r) =>
      [...r.querySelectorAll("td")].map((c) => Number(c.textContent))),
    mlpHidden: document.getElementById("mlp-view").hidden,
    depth: document.getElementById("depthchart").toDataURL(),
  }));
  check(net.mlpHidden, "the MLP charts are hidden for a net run");
  check(net.head.join(",") === "block,he rms,he theory,fixup rms,fixup theory",
        `the stream table's columns (got ${net.head.join(",")})`);
  const heGrowth = net.rows[7][1] / net.rows[0][1];
  check(heGrowth > 30 && heGrowth < 70, `he: rms grows ${heGrowth.toFixed(1)}x over 7 blocks (sqrt(3)^7 = 46.8)`);
  check(Math.abs(net.rows[7][3] / net.rows[0][3] - 1) < 1e-9, "fixup: the stream's rms stays");
  check(net.depth.length > 5000, "the depth chart is drawn");
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: `${outDir}/page_net.png`, fullPage: false });
  // an error blanks the figures and the table
  await page.fill("#net-spec", "resmlp:blocks=0");
  await page.waitForFunction(() => !document.getElementById("error").hidden, null, { timeout: 20000 });
  const cleared = await page.evaluate(() => document.querySelectorAll("#numbers tr").length);
  check(cleared === 0, `an error clears the stale table (${cleared} rows left)`);
  // the 422 of blocks=0 is the one failed request the browser reports
  const others = errors.filter((e) => !/status of 422/.test(e));
  check(others.length === 0, "no page errors after the net runs" + (others.length ? ": " + others.join("; ") : ""));
} finally {
  await browser.close();
}
console.log(failures ? `${failures} check(s) failed` : "all checks passed");
process.exit(failures ? 1 : 0);
