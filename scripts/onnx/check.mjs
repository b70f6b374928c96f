#!/usr/bin/env node
// Runs an ONNX file written by `lstmctl export` in ONNX Runtime, tokenizing
// with its tokenizer file alone, and prints one JSON line per input line in
// the shape of `lstmctl predict --format jsonl --top-k C`:
//
//   {"label": "LOC", "probability": 0.97, "top": [{"label": ..., "probability": ...}, ...]}
//
// or, for a multi-label model (output_activation "sigmoid"), of
// `lstmctl predict --format jsonl --threshold X`: every label at or over
// the threshold (default 0.5), the most probable one when none is,
//
//   {"labels": ["sports", "politics"], "probabilities": {"sports": 0.93, "politics": 0.71}}
//
// Usage (after `npm ci --ignore-scripts` in this directory):
//
//   node scripts/onnx/check.mjs [--tokenizer FILE] [--batch N] [--threshold X]
//        [--compare PREDICTIONS] MODEL.onnx [FILE...] < lines.txt
//
// The tokenizer file defaults to MODEL.tokenizer.json. Lines are read as
// lstmctl predict reads bare text: a UTF-8 byte order mark at the start
// dropped, "\n" or "\r\n" ending a line, a line longer than the file's
// max_text_bytes cut, invalid UTF-8 replaced by U+FFFD.
// They run N at a time (default 16), each batch padded to its longest text,
// so the masking of texts of different lengths is exercised.
//
// --compare reads the output of `lstmctl predict --format jsonl --top-k C`
// (a multi-label model: `--threshold 0`, and this script's too) on the same
// lines, prints the largest absolute difference between its
// probabilities and ONNX Runtime's to stderr, and exits 1 when it exceeds
// --tolerance (default 1e-5).
// docs/export.md describes both files; cmd/lstmctl/onnx_test.go compares
// this script's output with lstmctl predict.

import { readFileSync } from "node:fs";
import ort from "onnxruntime-node";

function usage(msg) {
  process.stderr.write(
    `check.mjs: ${msg}\nusage: node check.mjs [--tokenizer FILE] [--batch N] [--threshold X] [--compare PREDICTIONS [--tolerance X]] MODEL.onnx [FILE...]\n`,
  );
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { tokenizer: "", batch: 16, threshold: 0.5, compare: "", tolerance: 1e-5, files: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--tokenizer") opts.tokenizer = argv[++i] ?? usage("--tokenizer needs a file");
    else if (a === "--batch") {
      opts.batch = Number(argv[++i]);
      if (!Number.isInteger(opts.batch) || opts.batch < 1) usage("--batch needs a positive whole number");
    } else if (a === "--threshold") {
      opts.threshold = Number(argv[++i]);
      if (!(opts.threshold >= 0 && opts.threshold <= 1)) usage("--threshold needs a number from 0 to 1");
    } else if (a === "--compare") opts.compare = argv[++i] ?? usage("--compare needs a file");
    else if (a === "--tolerance") {
      opts.tolerance = Number(argv[++i]);
      if (!(opts.tolerance >= 0)) usage("--tolerance needs a number >= 0");
    } else if (a.startsWith("--")) usage(`unknown flag ${a}`);
    else if (!opts.model) opts.model = a;
    else opts.files.push(a);
  }
  if (!opts.model) usage("give the ONNX file");
  if (!opts.tokenizer) opts.tokenizer = opts.model.replace(/\.onnx$/i, "") + ".tokenizer.json";
  return opts;
}

// Tokenizer reproduces lstmctl's ids from the tokenizer file.
class Tokenizer {
  constructor(spec) {
    if (spec.format !== "lstmctl-tokenizer" || ![1, 2].includes(spec.format_version)) {
      throw new Error(`not an lstmctl tokenizer file of version 1 or 2 (format ${JSON.stringify(spec.format)}, version ${spec.format_version})`);
    }
    if (!["whitespace", "character"].includes(spec.split)) {
      throw new Error(`split ${JSON.stringify(spec.split)} is not one this script knows`);
    }
    this.spec = spec;
    this.strip = new Set(spec.strip_punctuation);
    this.space = new Set(spec.whitespace);
    this.ids = new Map(spec.vocabulary.map((tok, id) => [tok, id]));
    this.maxBytes = spec.max_token_bytes ?? 256;
    this.utf8 = new TextEncoder();
  }

  // lower is one character's lower case: the file's lowercase_map (Go's
  // unicode.ToLower, whatever Unicode version this runtime knows), else,
  // for a file without it, the simple mapping of JavaScript's (whose full
  // mapping turns U+0130 into two characters).
  lower(ch) {
    if (this.spec.lowercase_map) return this.spec.lowercase_map[ch] ?? ch;
    const low = ch.toLowerCase();
    if ([...low].length === 1) return low;
    return ch === "\u0130" ? "i" : ch;
  }

  // standardize lower-cases and deletes the punctuation to strip.
  standardize(text) {
    let out = "";
    for (let ch of text) {
      if (this.spec.lowercase) ch = this.lower(ch);
      if (!this.strip.has(ch)) out += ch;
    }
    return out;
  }

  // cut keeps the longest run of whole characters of tok within
  // max_token_bytes bytes of UTF-8.
  cut(tok) {
    if (tok.length * 3 <= this.maxBytes || this.utf8.encode(tok).length <= this.maxBytes) return tok;
    let out = "";
    let n = 0;
    for (const ch of tok) {
      n += this.utf8.encode(ch).length;
      if (n > this.maxBytes) break;
      out += ch;
    }
    return out;
  }

  // words are the tokens of the split, before n-grams.
  words(text) {
    const std = this.standardize(text);
    if (this.spec.split === "character") return [...std];
    const out = [];
    let cur = "";
    for (const ch of std) {
      if (this.space.has(ch)) {
        if (cur) out.push(this.cut(cur));
        cur = "";
      } else cur += ch;
    }
    if (cur) out.push(this.cut(cur));
    return out;
  }

  // tokens are the words, then their 2-grams, ..., N-grams.
  tokens(text) {
    const words = this.words(text);
    const out = [...words];
    for (let n = 2; n <= (this.spec.ngrams ?? 0); n++) {
      for (let i = 0; i + n <= words.length; i++) out.push(words.slice(i, i + n).join(" "));
    }
    return out;
  }

  // hash is fastText's: FNV-1a over the UTF-8 bytes, each sign-extended
  // from a signed char.
  static hash(bytes) {
    let h = 2166136261;
    for (const b of bytes) h = Math.imul((h ^ ((b << 24) >> 24)) >>> 0, 16777619) >>> 0;
    return h >>> 0;
  }

  // subwords are the rows of tok's character n-grams: "<tok>" cut into
  // its n-grams of min_n to max_n characters, "<" and ">" alone left out.
  subwords(tok) {
    const sw = this.spec.subwords;
    if (tok === this.spec.vocabulary[this.spec.pad_id] || tok === this.spec.vocabulary[this.spec.oov_id]) return [];
    const chars = [..."<" + tok + ">"];
    const rows = [];
    for (let i = 0; i < chars.length; i++) {
      for (let n = 1; n <= sw.max_n && i + n <= chars.length; n++) {
        if (n < sw.min_n || (n === 1 && (i === 0 || i + n === chars.length))) continue;
        rows.push(Tokenizer.hash(this.utf8.encode(chars.slice(i, i + n).join(""))) % sw.buckets);
      }
    }
    return rows;
  }

  // encode returns a text's ids and, with subwords, each id's rows.
  encode(text) {
    let toks = this.tokens(text);
    const L = this.spec.sequence_length;
    if (L > 0 && toks.length > L) toks = this.spec.truncate === "pre" ? toks.slice(toks.length - L) : toks.slice(0, L);
    const ids = toks.map((t) => this.ids.get(t) ?? this.spec.oov_id);
    const bags = this.spec.subwords ? toks.map((t) => this.subwords(t)) : null;
    return { ids, bags };
  }

  // batch lays out the ids of texts as the graph takes them: rows padded
  // with pad_id to the longest on the pad side, and their lengths; with
  // subwords, each id's rows padded with subwords.pad_id.
  batch(seqs) {
    const T = seqs.reduce((m, s) => Math.max(m, s.ids.length), 0);
    const ids = new BigInt64Array(seqs.length * T).fill(BigInt(this.spec.pad_id));
    const lengths = new BigInt64Array(seqs.length);
    const feeds = {};
    let S = 0;
    let sub;
    if (this.spec.subwords) {
      S = seqs.reduce((m, s) => s.bags.reduce((m, b) => Math.max(m, b.length), m), 1);
      sub = new BigInt64Array(seqs.length * T * S).fill(BigInt(this.spec.subwords.pad_id));
    }
    seqs.forEach((s, b) => {
      const start = this.spec.pad === "pre" ? T - s.ids.length : 0;
      s.ids.forEach((id, j) => {
        ids[b * T + start + j] = BigInt(id);
        if (sub) s.bags[j].forEach((r, k) => (sub[(b * T + start + j) * S + k] = BigInt(r)));
      });
      lengths[b] = BigInt(s.ids.length);
    });
    feeds.input_ids = new ort.Tensor("int64", ids, [seqs.length, T]);
    feeds.lengths = new ort.Tensor("int64", lengths, [seqs.length]);
    if (sub) feeds.subword_ids = new ort.Tensor("int64", sub, [seqs.length, T, S]);
    return feeds;
  }
}

// readLines splits raw bytes into lines as lstmctl reads bare text: a byte
// order mark at the start dropped, "\n" or "\r\n" ending a line; a line
// longer than maxBytes keeps its first maxBytes bytes, less an incomplete
// UTF-8 sequence at their end; invalid UTF-8 replaced by U+FFFD.
function readLines(raw, maxBytes = Infinity) {
  const dec = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });
  let start = raw.length >= 3 && raw[0] === 0xef && raw[1] === 0xbb && raw[2] === 0xbf ? 3 : 0;
  const lines = [];
  while (start < raw.length) {
    const nl = raw.indexOf(0x0a, start);
    const end = nl < 0 ? raw.length : nl;
    let line = raw.subarray(start, end);
    if (line.length > maxBytes) line = trimPartialRune(line.subarray(0, maxBytes));
    else if (line.length && line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
    lines.push(dec.decode(line));
    start = end + 1;
  }
  return lines;
}

// trimPartialRune drops an incomplete UTF-8 sequence at the end of b: a
// lead byte and the continuation bytes after it that more bytes could make
// a valid character (Go's utf8.FullRune false); an invalid start is kept
// (it decodes to U+FFFD).
function trimPartialRune(b) {
  for (let i = b.length - 1; i >= 0 && i >= b.length - 4; i--) {
    const c = b[i];
    if (c < 0x80) return b;
    if ((c & 0xc0) === 0x80) continue; // a continuation byte: look further back
    const need = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 1;
    if (b.length - i >= need) return b;
    // The second byte's range is narrower after E0, ED, F0 and F4.
    const lo = c === 0xe0 ? 0xa0 : c === 0xf0 ? 0x90 : 0x80;
    const hi = c === 0xed ? 0x9f : c === 0xf4 ? 0x8f : 0xbf;
    if (b.length - i >= 2 && (b[i + 1] < lo || b[i + 1] > hi)) return b;
    return b.subarray(0, i);
  }
  return b;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const tok = new Tokenizer(JSON.parse(readFileSync(opts.tokenizer, "utf8")));
  const labels = tok.spec.labels;
  const session = await ort.InferenceSession.create(opts.model);
  const sources = opts.files.length ? opts.files : [0]; // 0: stdin
  const lines = sources.flatMap((src) => readLines(readFileSync(src), tok.spec.max_text_bytes ?? Infinity));
  const out = [];
  const probsOf = []; // label -> probability, per line
  for (let i = 0; i < lines.length; i += opts.batch) {
    const seqs = lines.slice(i, i + opts.batch).map((l) => tok.encode(l));
    const res = await session.run(tok.batch(seqs));
    const probs = res.probabilities;
    if (probs.dims.length !== 2 || probs.dims[0] !== seqs.length || probs.dims[1] !== labels.length) {
      throw new Error(`probabilities have shape [${probs.dims}], want [${seqs.length}, ${labels.length}]`);
    }
    for (let b = 0; b < seqs.length; b++) {
      const p = Array.from(probs.data.slice(b * labels.length, (b + 1) * labels.length));
      const order = p.map((_, j) => j).sort((x, y) => p[y] - p[x] || x - y);
      const top = order.map((j) => ({ label: labels[j], probability: p[j] }));
      if (tok.spec.output_activation === "sigmoid") {
        // top is most probable first: the labels over the threshold, or the first.
        const shown = top.filter((e, k) => k === 0 || e.probability >= opts.threshold);
        probsOf.push(new Map(shown.map((e) => [e.label, e.probability])));
        out.push(JSON.stringify({ labels: shown.map((e) => e.label), probabilities: Object.fromEntries(probsOf.at(-1)) }));
        continue;
      }
      probsOf.push(new Map(top.map((e) => [e.label, e.probability])));
      out.push(JSON.stringify({ label: top[0].label, probability: top[0].probability, top }));
    }
  }
  process.stdout.write(out.map((l) => l + "\n").join(""));
  if (opts.compare) compare(opts, probsOf);
}

// compare checks ONNX Runtime's probabilities against lstmctl predict's.
function compare(opts, got) {
  const want = readLines(readFileSync(opts.compare)).map((l) => {
    const rec = JSON.parse(l);
    return rec.top ?? Object.entries(rec.probabilities).map(([label, probability]) => ({ label, probability }));
  });
  if (want.length !== got.length) throw new Error(`${opts.compare} has ${want.length} lines, the input ${got.length}`);
  let worst = 0;
  want.forEach((top, i) => {
    if (top.length !== got[i].size) throw new Error(`${opts.compare}:${i + 1}: ${top.length} labels, want ${got[i].size} (use --top-k ${got[i].size})`);
    for (const { label, probability } of top) {
      const q = got[i].get(label);
      if (q === undefined) throw new Error(`${opts.compare}:${i + 1}: unknown label ${label}`);
      worst = Math.max(worst, Math.abs(q - probability));
    }
  });
  process.stderr.write(`${got.length} texts: max abs difference ${worst.toExponential(3)} (tolerance ${opts.tolerance})\n`);
  if (worst > opts.tolerance) process.exitCode = 1;
}

main().catch((e) => {
  process.stderr.write(`check.mjs: ${e.message ?? e}\n`);
  process.exit(1);
});
