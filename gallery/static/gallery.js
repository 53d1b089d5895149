// gan-zoo gallery: the live panel of an entry page. Runs the entry's exported ONNX generator with
// onnxruntime-web (WebAssembly, one thread; loaded from ../ort/, never from a CDN) and draws a grid on
// the canvas. Latents come from a seeded PRNG: mulberry32 gives uniforms u in [0, 1); z is standard normal
// (Box-Muller turns pairs of u into normals) or, where the config's z input says "uniform on [-1, 1)",
// 2u - 1; for a seed, z of every image is drawn first (row by row), then the random categorical codes.
// The test hook window.ganzoo.generateFrom(latents) draws given latents.
(function () {
  "use strict";

  // Copy buttons on the code snippets (every entry page).
  document.querySelectorAll("pre > code").forEach(function (code) {
    const button = document.createElement("button");
    button.className = "copy";
    button.textContent = "copy";
    button.addEventListener("click", function () {
      if (navigator.clipboard) {
        navigator.clipboard.writeText(code.textContent).then(function () { button.textContent = "copied"; },
                                                             function () { button.textContent = "select + copy"; });
      }
    });
    code.parentElement.appendChild(button);
  });

  const configElement = document.getElementById("ganzoo-config");
  if (!configElement || typeof ort === "undefined") {
    return; // a page without a live panel
  }
  const cfg = JSON.parse(configElement.textContent);
  const [H, W, C] = cfg.image_shape;
  const PAD = 2;
  const canvas = document.getElementById("canvas");
  const status = document.getElementById("status");
  const seedBox = document.getElementById("seed");
  const generateButton = document.getElementById("generate");
  const walkButton = document.getElementById("walk");
  const sizeOf = {};
  cfg.inputs.forEach(function (spec) { sizeOf[spec.name] = spec.shape[spec.shape.length - 1]; });

  function mulberry32(seed) {
    let a = seed >>> 0;
    return function () {
      a = (a + 0x6D2B79F5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  function normals(rand, count) {
    const out = new Float32Array(count);
    for (let i = 0; i < count; i += 2) {
      let u = rand();
      while (u <= 0) { u = rand(); }
      const v = rand();
      const r = Math.sqrt(-2 * Math.log(u));
      out[i] = r * Math.cos(2 * Math.PI * v);
      if (i + 1 < count) { out[i + 1] = r * Math.sin(2 * Math.PI * v); }
    }
    return out;
  }

  // z as the model's sample_latents draws it: the "distribution" of the z input (gallery/onnx_site.py).
  const zDistribution = cfg.inputs.find(function (spec) { return spec.name === "z"; }).distribution;
  function noise(rand, count) {
    if (zDistribution === "standard normal") { return normals(rand, count); }
    if (zDistribution !== "uniform on [-1, 1)") { throw new Error("cannot draw z from " + zDistribution); }
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) { out[i] = 2 * rand() - 1; }
    return out;
  }

  function sliderValue(id) {
    const el = document.getElementById(id);
    return el ? parseFloat(el.value) : 0;
  }

  // Every input but z from the panel's controls (random categories from `rand`).
  function otherInputs(n, rand) {
    const feeds = {};
    cfg.inputs.forEach(function (spec) {
      const name = spec.name, d = sizeOf[name], data = new Float32Array(n * d);
      if (name === "z") { return; }
      if (name === "c_cat") {
        const choice = document.getElementById("category").value;
        for (let i = 0; i < n; i++) {
          const k = choice === "random" ? Math.min(d - 1, Math.floor(rand() * d)) : parseInt(choice, 10);
          data[i * d + k] = 1;
        }
      } else if (name === "c_cont") {
        for (let i = 0; i < n; i++) { for (let j = 0; j < d; j++) { data[i * d + j] = sliderValue("c_cont-" + j); } }
      } else if (name === "truncation_psi") {
        data.fill(sliderValue("psi"));
      } else {
        data.set(normals(rand, n * d));
      }
      feeds[name] = data;
    });
    return feeds;
  }

  function seededInputs(seed, n) {
    const rand = mulberry32(seed);
    const feeds = { z: noise(rand, n * sizeOf.z) };
    return Object.assign(feeds, otherInputs(n, rand));
  }

  function flatten(value) {
    if (value instanceof Float32Array) { return value; }
    return Float32Array.from(Array.isArray(value) ? value.flat(Infinity) : []);
  }

  function tileRect(i, n) {
    const cols = Math.ceil(Math.sqrt(n || cfg.grid));
    return { x: PAD + (i % cols) * (W + PAD), y: PAD + Math.floor(i / cols) * (H + PAD), w: W, h: H };
  }

  function draw(images, n) {
    const cols = Math.ceil(Math.sqrt(n)), rows = Math.ceil(n / cols);
    const width = cols * (W + PAD) + PAD, height = rows * (H + PAD) + PAD;
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
    }
    const ctx = canvas.getContext("2d");
    ctx.fillStyle = "#20232a";
    ctx.fillRect(0, 0, width, height);
    for (let i = 0; i < n; i++) {
      const tile = ctx.createImageData(W, H), px = tile.data, base = i * H * W * C;
      for (let p = 0; p < H * W; p++) {
        for (let ch = 0; ch < 3; ch++) {
          const x = images[base + p * C + (C === 1 ? 0 : ch)];
          px[p * 4 + ch] = Math.min(255, Math.max(0, Math.floor((x + 1) * 127.5 + 0.5)));
        }
        px[p * 4 + 3] = 255;
      }
      const r = tileRect(i, n);
      ctx.putImageData(tile, r.x, r.y);
    }
  }

  let session = null;
  let busy = Promise.resolve();

  // Runs the generator on `feeds` (name -> Float32Array of n rows) and draws the grid.
  async function run(feeds, n, what) {
    const inputs = {};
    for (const spec of cfg.inputs) {
      const data = feeds[spec.name];
      if (!data || data.length !== n * sizeOf[spec.name]) {
        throw new Error("input " + spec.name + " needs " + n + " x " + sizeOf[spec.name] + " numbers");
      }
      inputs[spec.name] = new ort.Tensor("float32", data, [n, sizeOf[spec.name]]);
    }
    const start = performance.now();
    const result = await session.run(inputs);
    const ms = performance.now() - start;
    draw(result.image.data, n);
    const info = { n: n, ms: Math.round(ms * 10) / 10, what: what };
    window.ganzoo.lastRun = info;
    status.textContent = what + ": " + n + " images in " + info.ms + " ms (onnxruntime-web, WebAssembly)";
    return info;
  }

  function queue(task) { // one run at a time, in order
    const next = busy.then(task, task);
    busy = next.catch(function () {});
    return next;
  }

  // A seed's grid, drawn with the controls as they are when the run starts. Calls made while one is
  // waiting its turn share it (dragging a slider does not pile up runs).
  let wantedSeed = 0, waiting = null;
  function generate(seed) {
    wantedSeed = Math.max(0, Math.floor(Number(seed) || 0));
    if (waiting) { return waiting; }
    waiting = queue(function () {
      waiting = null;
      return run(seededInputs(wantedSeed, cfg.grid), cfg.grid, "seed " + wantedSeed);
    });
    return waiting;
  }

  // Test hook: latents as an (n, d) array for z (other inputs from the controls) or {name: (n, d) array}.
  function generateFrom(latents) {
    const given = Array.isArray(latents) || latents instanceof Float32Array ? { z: latents } : latents;
    const z = flatten(given.z);
    const n = z.length / sizeOf.z;
    const feeds = Object.assign(otherInputs(n, mulberry32(0)), { z: z });
    Object.keys(given).forEach(function (name) { feeds[name] = flatten(given[name]); });
    return queue(function () { return run(feeds, n, "given latents"); });
  }

  function slerp(a, b, t, d) { // per row of d numbers
    const out = new Float32Array(a.length);
    for (let r = 0; r < a.length / d; r++) {
      let dot = 0, na = 0, nb = 0;
      for (let j = 0; j < d; j++) { const i = r * d + j; dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
      const omega = Math.acos(Math.min(1, Math.max(-1, dot / Math.sqrt(na * nb || 1))));
      const s = Math.sin(omega);
      const wa = s < 1e-6 ? 1 - t : Math.sin((1 - t) * omega) / s, wb = s < 1e-6 ? t : Math.sin(t * omega) / s;
      for (let j = 0; j < d; j++) { const i = r * d + j; out[i] = wa * a[i] + wb * b[i]; }
    }
    return out;
  }

  let walking = false;
  async function walk() {
    const seed = Math.max(0, Math.floor(Number(seedBox.value) || 0)), n = cfg.grid, frames = 24;
    const anchors = [0, 1, 2, 3].map(function (k) { return seededInputs(seed + k, n); });
    for (let step = 0; walking; step++) {
      const k = Math.floor(step / frames) % anchors.length, t = (step % frames) / frames;
      const feeds = Object.assign({}, anchors[0]);
      feeds.z = slerp(anchors[k].z, anchors[(k + 1) % anchors.length].z, t, sizeOf.z);
      await queue(function () { return run(feeds, n, "latent walk, seeds " + seed + "-" + (seed + 3)); });
      await new Promise(function (resolve) { requestAnimationFrame(resolve); });
    }
  }

  function toggleWalk() {
    walking = !walking;
    walkButton.textContent = walking ? "stop walk" : "latent walk";
    if (walking) { walk().catch(fail); }
  }

  function fail(error) {
    walking = false;
    status.textContent = "error: " + (error && error.message ? error.message : error);
    status.className = "status error";
  }

  ort.env.wasm.numThreads = 1; // no SharedArrayBuffer needed: works on any static host
  ort.env.wasm.wasmPaths = new URL(cfg.ort, document.baseURI).href;
  const ready = ort.InferenceSession.create(new URL(cfg.onnx, document.baseURI).href,
                                            { executionProviders: ["wasm"] }).then(function (s) {
    session = s;
    generateButton.disabled = false;
    walkButton.disabled = false;
    return s;
  });

  // The inputs a seed gives with the controls as they are now: {name: flat array of n rows}.
  function latents(seed, n) {
    const feeds = seededInputs(Math.max(0, Math.floor(Number(seed) || 0)), n || cfg.grid), out = {};
    Object.keys(feeds).forEach(function (name) { out[name] = Array.from(feeds[name]); });
    return out;
  }

  window.ganzoo = { ready: ready, generate: generate, generateFrom: generateFrom, latents: latents,
                    tileRect: tileRect, toggleWalk: toggleWalk, isWalking: function () { return walking; },
                    lastRun: null };

  generateButton.addEventListener("click", function () { generate(seedBox.value).catch(fail); });
  walkButton.addEventListener("click", toggleWalk);
  seedBox.addEventListener("change", function () { generate(seedBox.value).catch(fail); });
  document.querySelectorAll(".controls input[type=range], .controls select").forEach(function (el) {
    el.addEventListener("input", function () {
      const out = document.getElementById(el.id + "-value");
      if (out) { out.textContent = el.value; }
      if (!walking) { generate(seedBox.value).catch(fail); }
    });
  });
  ready.then(function () { return generate(seedBox.value); }).catch(fail);
})();
