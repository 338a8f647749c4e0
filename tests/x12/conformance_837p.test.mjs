// 837P conformance: the files Vigil's writer makes (x12_sample_837p, from vigil::x12::write837p)
// are read back with an independent X12 parser from the npm registry (node-x12), and every file is
// checked against the implementation guide's (ASC X12 005010X222A1) segment, loop and situational
// rules for what Vigil generates. The rules are the table RULES below, written by hand from the
// guide; a mutated file shows the table catches what it names. Run by ctest (x12-conformance).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { X12Parser } = require('node-x12');

const generator = process.env.X12_SAMPLE_837P;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-x12-conformance-'));
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
execFileSync(generator, [dir], { timeout: 30000 });

// --- Reading: node-x12's object model, then the 837P's loops built from its flat segments ---

function values(segment) {
  return [segment.tag, ...segment.elements.map((e) => e.value)];
}

// The loop a segment opens (by its tag and qualifier), per the guide's loop starters.
function opens(v) {
  const [tag, q] = v;
  if (tag === 'NM1') {
    return { 41: '1000A', 40: '1000B', 85: '2010AA', IL: '2010BA', PR: '2010BB', QC: '2010CA', 82: '2310B' }[q] ?? null;
  }
  if (tag === 'HL') return { 20: '2000A', 22: '2000B', 23: '2000C' }[v[3]] ?? 'HL?';
  if (tag === 'CLM') return '2300';
  if (tag === 'LX') return '2400';
  return null;
}

function read(text) {
  const interchange = new X12Parser(true).parse(text);
  const group = interchange.functionalGroups[0];
  const tx = group.transactions[0];
  const segs = tx.segments.map(values);
  let loop = 'header';
  const tagged = segs.map((v, i) => {
    loop = opens(v) ?? loop;
    return { v, loop, position: i + 2 }; // ST is position 1 in the set
  });
  return {
    text,
    isa: values(interchange.header),
    iea: values(interchange.trailer),
    gs: values(group.header),
    ge: values(group.trailer),
    st: values(tx.header),
    se: values(tx.trailer),
    groups: interchange.functionalGroups.length,
    sets: group.transactions.length,
    segs: tagged,
  };
}

// The claims of a file: each 2300 with its subscriber level, patient level and lines.
function claims(doc) {
  const out = [];
  let subscriber = null;
  let patient = null;
  let claim = null;
  let line = null;
  for (const s of doc.segs) {
    const [tag] = s.v;
    if (tag === 'HL' && s.v[3] === '22') {
      subscriber = { hl: s.v, segs: [] };
      patient = null;
      claim = null;
    } else if (tag === 'HL' && s.v[3] === '23') {
      patient = { hl: s.v, segs: [] };
      claim = null;
    } else if (tag === 'CLM') {
      claim = { clm: s.v, segs: [], lines: [], subscriber, patient };
      line = null;
      out.push(claim);
    } else if (tag === 'LX' && claim) {
      line = { lx: s.v, segs: [] };
      claim.lines.push(line);
    }
    const owner = {
      2400: line, 2300: claim, '2310B': claim, '2000C': patient, '2010CA': patient,
      '2000B': subscriber, '2010BA': subscriber, '2010BB': subscriber,
    };
    const into = owner[s.loop] ?? null;
    if (into) into.segs.push({ ...s });
  }
  return out;
}

const find = (segs, tag, q) => segs.find((s) => s.v[0] === tag && (q === undefined || s.v[1] === q))?.v;
const all = (doc, tag, q) => doc.segs.filter((s) => s.v[0] === tag && (q === undefined || s.v[1] === q)).map((s) => s.v);
const cents = (x) => Math.round(Number(x) * 100);
const digits = (x, n) => new RegExp(`^\\d{${n}}$`).test(x ?? '');

function validNpi(npi) {
  if (!digits(npi, 10)) return false;
  const payload = `80840${npi.slice(0, 9)}`;
  let sum = 0;
  [...payload].reverse().forEach((c, i) => {
    let d = Number(c);
    if (i % 2 === 0) { d *= 2; if (d > 9) d -= 9; }
    sum += d;
  });
  return (10 - (sum % 10)) % 10 === Number(npi[9]);
}

// The order of segments inside each loop, as the guide lists them (a subset: what Vigil writes).
const ORDER = {
  header: ['BHT'],
  '1000A': ['NM1', 'PER'],
  '1000B': ['NM1'],
  '2000A': ['HL', 'PRV'],
  '2010AA': ['NM1', 'N3', 'N4', 'REF'],
  '2000B': ['HL', 'SBR'],
  '2010BA': ['NM1', 'N3', 'N4', 'DMG'],
  '2010BB': ['NM1'],
  '2000C': ['HL', 'PAT'],
  '2010CA': ['NM1', 'N3', 'N4', 'DMG'],
  '2300': ['CLM', 'HI'],
  '2310B': ['NM1', 'PRV'],
  '2400': ['LX', 'SV1', 'DTP', 'REF'],
};
// The loops' order: 1000A, 1000B, then 2000A ... each 2000B (2010BA, 2010BB), its 2000C
// (2010CA), its claims (2300, 2310B, 2400...).
const NEXT = {
  header: ['1000A'], '1000A': ['1000B'], '1000B': ['2000A'], '2000A': ['2010AA'], '2010AA': ['2000B'],
  '2000B': ['2010BA'], '2010BA': ['2010BB'], '2010BB': ['2000C', '2300'], '2000C': ['2010CA'], '2010CA': ['2300'],
  '2300': ['2310B', '2400'], '2310B': ['2400'], '2400': ['2400', '2000B'],
};

// --- The rules (005010X222A1), one row per rule: loop, what the guide says, the check ---
// Each check returns the list of violations (empty when the file keeps the rule).
const RULES = [
  ['ISA', 'ISA is fixed-length (106 characters with its terminator); ISA12 00501; ISA16 the component separator; ISA13 nine digits', (d) => [
    ...(d.text.indexOf('~') !== 105 ? ['ISA is not 106 characters'] : []),
    ...(d.isa[12] !== '00501' ? ['ISA12'] : []),
    ...(d.isa[16] !== ':' ? ['ISA16'] : []),
    // node-x12 reads ISA13 as a number (no leading zeros): its width is checked on the text.
    ...(!digits(d.text.slice(90, 99), 9) || Number(d.text.slice(90, 99)) !== Number(d.isa[13]) ? ['ISA13'] : []),
    ...(!['P', 'T'].includes(d.isa[15]) ? ['ISA15'] : []),
  ]],
  ['IEA', 'IEA01 counts the groups, IEA02 repeats ISA13', (d) => [
    ...(Number(d.iea[1]) !== d.groups ? ['IEA01'] : []), ...(Number(d.iea[2]) !== Number(d.isa[13]) ? ['IEA02'] : [])]],
  ['GS', 'GS01 HC, GS07 X, GS08 005010X222A1; GE01 counts the sets, GE02 repeats GS06', (d) => [
    ...(d.gs[1] !== 'HC' ? ['GS01'] : []), ...(d.gs[7] !== 'X' ? ['GS07'] : []),
    ...(d.gs[8] !== '005010X222A1' ? ['GS08'] : []), ...(Number(d.ge[1]) !== d.sets ? ['GE01'] : []),
    ...(d.ge[2] !== d.gs[6] ? ['GE02'] : [])]],
  ['ST', 'ST01 837, ST03 005010X222A1; SE01 counts ST to SE; SE02 repeats ST02', (d) => [
    ...(d.st[1] !== '837' ? ['ST01'] : []), ...(d.st[3] !== '005010X222A1' ? ['ST03'] : []),
    ...(Number(d.se[1]) !== d.segs.length + 2 ? [`SE01 ${d.se[1]} for ${d.segs.length + 2}`] : []),
    ...(d.se[2] !== d.st[2] ? ['SE02'] : [])]],
  ['BHT', 'BHT01 0019, BHT02 00 (original), BHT03 present, BHT04 CCYYMMDD, BHT06 CH', (d) => {
    const b = find(d.segs, 'BHT');
    return !b ? ['no BHT'] : [...(b[1] !== '0019' ? ['BHT01'] : []), ...(b[2] !== '00' ? ['BHT02'] : []),
      ...(!b[3] ? ['BHT03'] : []), ...(!digits(b[4], 8) ? ['BHT04'] : []), ...(b[6] !== 'CH' ? ['BHT06'] : [])];
  }],
  ['1000A', 'NM1*41 required: NM102 2, NM108 46, NM109 the submitter id; PER*IC required with a TE, EM or FX number', (d) => {
    const n = find(d.segs, 'NM1', '41');
    const p = find(d.segs, 'PER', 'IC');
    return [...(!n || n[2] !== '2' || n[8] !== '46' || !n[9] ? ['NM1*41'] : []),
      ...(!p || !['TE', 'EM', 'FX'].includes(p[3]) || !p[4] ? ['PER*IC'] : [])];
  }],
  ['1000B', 'NM1*40 required: NM102 2, NM108 46, NM109 the receiver id', (d) => {
    const n = find(d.segs, 'NM1', '40');
    return !n || n[2] !== '2' || n[8] !== '46' || !n[9] ? ['NM1*40'] : [];
  }],
  ['2000A', 'the first HL is the billing provider: HL01 1, no parent, HL03 20, HL04 1; PRV*BI*PXC with a 10-character taxonomy', (d) => {
    const hl = all(d, 'HL')[0];
    const prv = find(d.segs, 'PRV', 'BI');
    return [...(!hl || hl[1] !== '1' || hl[2] || hl[3] !== '20' || hl[4] !== '1' ? ['HL 2000A'] : []),
      ...(!prv || prv[2] !== 'PXC' || (prv[3] ?? '').length !== 10 ? ['PRV*BI'] : [])];
  }],
  ['2010AA', 'NM1*85: NM102 2 (organisation), NM108 XX, NM109 an NPI with a valid check digit; N3, N4 with a 9-digit ZIP; REF*EI a 9-digit tax id', (d) => {
    const n = find(d.segs, 'NM1', '85');
    const loop = d.segs.filter((s) => s.loop === '2010AA').map((s) => s.v);
    const n4 = find(loop.map((v) => ({ v })), 'N4');
    const ref = find(loop.map((v) => ({ v })), 'REF', 'EI');
    return [...(!n || n[2] !== '2' || n[8] !== 'XX' || !validNpi(n[9]) ? ['NM1*85'] : []),
      ...(!find(loop.map((v) => ({ v })), 'N3') ? ['N3'] : []),
      ...(!n4 || !digits(n4[3], 9) ? ['N4 ZIP+4'] : []),
      ...(!ref || !digits(ref[2], 9) ? ['REF*EI'] : [])];
  }],
  ['2000B', 'HL03 22 under the 2000A (HL02 1); HL04 1 exactly when a patient level (2000C) follows; HL01 numbered 1, 2, 3 ...', (d) => {
    const hls = all(d, 'HL');
    const bad = [];
    hls.forEach((hl, i) => {
      if (hl[1] !== String(i + 1)) bad.push(`HL01 ${hl[1]}`);
      if (hl[3] === '22') {
        if (hl[2] !== '1') bad.push('HL02 of a 2000B');
        const child = hls[i + 1]?.[3] === '23';
        if ((hl[4] === '1') !== child) bad.push('HL04 of a 2000B');
      }
    });
    return bad;
  }],
  ['2000B', 'SBR01 P, S or T; SBR02 18 when the subscriber is the patient and empty when a 2000C follows; SBR09 the claim filing indicator', (d) =>
    claims(d).flatMap((c) => {
      const sbr = find(c.subscriber.segs, 'SBR');
      if (!sbr) return ['no SBR'];
      return [...(!['P', 'S', 'T'].includes(sbr[1]) ? ['SBR01'] : []),
        ...((c.patient ? sbr[2] : sbr[2] !== '18') ? ['SBR02'] : []), ...(!sbr[9] ? ['SBR09'] : [])];
    })],
  ['2010BA', 'NM1*IL: NM102 1, NM103 the last name, NM108 MI, NM109 the member id', (d) =>
    claims(d).flatMap((c) => {
      const n = find(c.subscriber.segs, 'NM1', 'IL');
      return !n || n[2] !== '1' || !n[3] || n[8] !== 'MI' || !n[9] ? [`NM1*IL of ${c.clm[1]}`] : [];
    })],
  ['2010BA', 'N3, N4 and DMG*D8 (birth date, gender F/M/U) are required when the subscriber is the patient', (d) =>
    claims(d).filter((c) => !c.patient).flatMap((c) => {
      const dmg = find(c.subscriber.segs, 'DMG');
      return [...(!find(c.subscriber.segs, 'N3') || !find(c.subscriber.segs, 'N4') ? ['N3/N4'] : []),
        ...(!dmg || dmg[1] !== 'D8' || !digits(dmg[2], 8) || !['F', 'M', 'U'].includes(dmg[3]) ? ['DMG'] : [])];
    })],
  ['2010BB', 'NM1*PR: NM102 2, NM108 PI, NM109 the payer id', (d) =>
    claims(d).flatMap((c) => {
      const n = find(c.subscriber.segs, 'NM1', 'PR');
      return !n || n[2] !== '2' || n[8] !== 'PI' || !n[9] ? ['NM1*PR'] : [];
    })],
  ['2000C', 'HL03 23 under its 2000B, HL04 0; PAT01 a relationship code other than 18', (d) =>
    claims(d).filter((c) => c.patient).flatMap((c) => {
      const pat = find(c.patient.segs, 'PAT');
      return [...(c.patient.hl[2] !== c.subscriber.hl[1] || c.patient.hl[4] !== '0' ? ['HL 2000C'] : []),
        ...(!pat || !['01', '19', '20', '21', '39', '40', '53', 'G8'].includes(pat[1]) ? ['PAT01'] : [])];
    })],
  ['2010CA', 'NM1*QC: NM102 1, no NM108/NM109 (the patient has no id of its own in 5010); N3, N4, DMG required', (d) =>
    claims(d).filter((c) => c.patient).flatMap((c) => {
      const n = find(c.patient.segs, 'NM1', 'QC');
      return [...(!n || n[2] !== '1' || n[8] || n[9] ? ['NM1*QC'] : []),
        ...(!find(c.patient.segs, 'N3') || !find(c.patient.segs, 'N4') || !find(c.patient.segs, 'DMG') ? ['N3/N4/DMG'] : [])];
    })],
  ['2300', 'CLM01 1-38 characters; CLM02 the sum of the lines\' SV102; CLM05 place of service (02, 10, 11) : B : frequency (1, 7, 8); CLM06 Y/N, CLM07 A/B/C, CLM08 Y/N/W, CLM09 I/Y', (d) =>
    claims(d).flatMap((c) => {
      const [, id, total, , , place, sig, assign, benefits, release] = c.clm;
      const [pos, qual, freq] = (place ?? '').split(':');
      const sum = c.lines.reduce((s, l) => s + cents(find(l.segs, 'SV1')?.[2]), 0);
      return [...(!id || id.length > 38 ? ['CLM01'] : []), ...(cents(total) !== sum ? [`CLM02 ${total}`] : []),
        ...(!['02', '10', '11'].includes(pos) || qual !== 'B' || !['1', '7', '8'].includes(freq) ? ['CLM05'] : []),
        ...(!['Y', 'N'].includes(sig) ? ['CLM06'] : []), ...(!['A', 'B', 'C'].includes(assign) ? ['CLM07'] : []),
        ...(!['Y', 'N', 'W'].includes(benefits) ? ['CLM08'] : []), ...(!['I', 'Y'].includes(release) ? ['CLM09'] : [])];
    })],
  ['2300', 'HI required: the first code ABK (principal), the others ABF, at most 12, ICD-10-CM without the dot', (d) =>
    claims(d).flatMap((c) => {
      const hi = find(c.segs, 'HI');
      if (!hi) return ['no HI'];
      const codes = hi.slice(1).filter(Boolean).map((x) => x.split(':'));
      return [...(codes.length < 1 || codes.length > 12 ? ['HI count'] : []),
        ...codes.flatMap(([q, code], i) => [...(q !== (i === 0 ? 'ABK' : 'ABF') ? [`HI0${i + 1} qualifier`] : []),
          ...(!/^[A-Z][0-9][A-Z0-9]{1,5}$/.test(code ?? '') ? [`HI0${i + 1} code`] : [])])];
    })],
  ['2310B', 'the rendering provider (NM1*82, NM102 1, NM108 XX, a valid NPI) only when it is not the billing provider', (d) => {
    const billing = find(d.segs, 'NM1', '85')?.[9];
    return claims(d).flatMap((c) => {
      const n = find(c.segs, 'NM1', '82');
      if (!n) return [];
      return [...(n[2] !== '1' || n[8] !== 'XX' || !validNpi(n[9]) ? ['NM1*82'] : []),
        ...(n[9] === billing ? ['2310B repeats the billing provider'] : [])];
    });
  }],
  ['2400', 'LX numbered 1, 2, 3 ... per claim, 1 to 50 lines', (d) =>
    claims(d).flatMap((c) => [...(c.lines.length < 1 || c.lines.length > 50 ? ['line count'] : []),
      ...c.lines.flatMap((l, i) => (l.lx[1] !== String(i + 1) ? [`LX ${l.lx[1]}`] : []))])],
  ['2400', 'SV101 HC : a 5-character CPT/HCPCS code : up to 4 two-character modifiers; SV102 the charge; SV103 UN; SV104 units above 0; SV107 1-4 pointers into the claim\'s HI codes', (d) =>
    claims(d).flatMap((c) => {
      const dx = (find(c.segs, 'HI') ?? []).slice(1).filter(Boolean).length;
      return c.lines.flatMap((l) => {
        const sv1 = find(l.segs, 'SV1');
        if (!sv1) return ['no SV1'];
        const [q, code, ...mods] = sv1[1].split(':');
        const pointers = (sv1[7] ?? '').split(':').filter(Boolean).map(Number);
        return [...(q !== 'HC' || !/^[A-Z0-9]{5}$/.test(code) ? ['SV101'] : []),
          ...(mods.length > 4 || mods.some((m) => m.length !== 2) ? ['SV101 modifiers'] : []),
          ...(!(Number(sv1[2]) >= 0) ? ['SV102'] : []), ...(sv1[3] !== 'UN' ? ['SV103'] : []),
          ...(!(Number(sv1[4]) > 0) ? ['SV104'] : []),
          ...(pointers.length < 1 || pointers.length > 4 || pointers.some((p) => p < 1 || p > dx) ? ['SV107'] : [])];
      });
    })],
  ['2400', 'DTP*472*D8*CCYYMMDD (the date of service) on every line', (d) =>
    claims(d).flatMap((c) => c.lines.flatMap((l) => {
      const dtp = find(l.segs, 'DTP', '472');
      return !dtp || dtp[2] !== 'D8' || !digits(dtp[3], 8) ? [`DTP*472 of line ${l.lx[1]}`] : [];
    }))],
  ['order', 'segments inside each loop and the loops themselves come in the guide\'s order', (d) => {
    const bad = [];
    let prev = 'header';
    let index = -1;
    for (const s of d.segs) {
      if (opens(s.v)) {
        // A loop starts (a 2400 may follow a 2400): it must be one the previous loop allows.
        if (!(NEXT[prev] ?? []).includes(s.loop)) bad.push(`loop ${s.loop} after ${prev} (position ${s.position})`);
        prev = s.loop;
        index = -1;
      }
      const at = (ORDER[s.loop] ?? []).indexOf(s.v[0]);
      if (at < 0 || at < index) bad.push(`${s.v[0]} at position ${s.position} in loop ${s.loop}`);
      index = Math.max(index, at);
    }
    return bad;
  }],
];

const files = ['one-claim.837', 'two-claims.837', 'full.837'];

for (const file of files) {
  test(`${file} keeps the 837P rules`, { timeout: 60000 }, async (t) => {
    const doc = read(fs.readFileSync(path.join(dir, file), 'utf8'));
    for (const [loop, rule, check] of RULES) {
      await t.test(`${loop}: ${rule}`, { timeout: 10000 }, () => assert.deepEqual(check(doc), []));
    }
  });
}

test('the independent parser reads back the values written', { timeout: 30000 }, () => {
  // Expected values by hand from tests/x12/sample_batch.hpp and x12_sample_837p.cpp.
  const one = read(fs.readFileSync(path.join(dir, 'one-claim.837'), 'utf8'));
  assert.equal(Number(one.isa[13]), 17);
  assert.equal(one.text.slice(90, 99), '000000017');
  assert.equal(one.isa[15], 'T');
  const [claim] = claims(one);
  assert.equal(claim.clm[1], 'CLM-1001');
  assert.equal(claim.clm[2], '90.89');
  assert.deepEqual(claim.lines.map((l) => find(l.segs, 'SV1')[1]), ['HC:99454', 'HC:99457']);
  assert.equal(find(claim.subscriber.segs, 'NM1', 'IL')[9], '1EG4TE5MK72');
  assert.equal(find(claim.segs, 'NM1', '82')[9], '1245319599');
  const two = claims(read(fs.readFileSync(path.join(dir, 'two-claims.837'), 'utf8')));
  assert.equal(two.length, 2);
  assert.equal(find(two[1].lines[0].segs, 'SV1')[1], 'HC:99213:95');
  assert.equal(find(two[1].patient.segs, 'PAT')[1], '19');
  assert.equal(find(two[1].lines[0].segs, 'REF', '6R')[2], 'LINE-77');
  const full = claims(read(fs.readFileSync(path.join(dir, 'full.837'), 'utf8')));
  assert.equal(full[0].lines.length, 50);
  assert.equal(find(full[0].segs, 'HI').slice(1).length, 12);
  assert.equal(find(full[0].lines[7].segs, 'SV1')[4], '1.5');
  assert.equal(full[0].clm[5], '02:B:7');
});

test('the rules catch files that break them', { timeout: 30000 }, () => {
  const text = fs.readFileSync(path.join(dir, 'one-claim.837'), 'utf8');
  const broken = (from, to, count = 0) => {
    let t = text.replace(from, to);
    if (count) t = t.replace('SE*28*0001', `SE*${28 + count}*0001`);
    return read(t);
  };
  const failing = (doc) => RULES.filter(([, , check]) => check(doc).length > 0).map(([loop, rule]) => `${loop}: ${rule}`);
  const only = (doc, prefix) => {
    const f = failing(doc);
    assert.equal(f.length, 1, f.join(' | '));
    assert.ok(f[0].startsWith(prefix), f[0]);
  };
  assert.deepEqual(failing(read(text)), []);
  // No DMG for a subscriber who is the patient.
  only(broken('DMG*D8*19450312*F~\n', '', -1), '2010BA: N3, N4 and DMG');
  // A claim total that is not the sum of its lines.
  only(broken('CLM*CLM-1001*90.89', 'CLM*CLM-1001*90.9'), '2300: CLM01');
  // A DTP before its SV1.
  only(broken('SV1*HC:99454*43.02*UN*1***1~\nDTP*472*D8*20261130~', 'DTP*472*D8*20261130~\nSV1*HC:99454*43.02*UN*1***1~'), 'order:');
  // A rendering provider that is the billing provider.
  only(broken('XX*1245319599', 'XX*1234567893'), '2310B:');
  // A wrong segment count: the independent parser itself refuses it (strict mode).
  assert.throws(() => broken('SE*28*', 'SE*27*'), /SE01/);
  // A diagnosis code with its dot, a pointer past the codes, a modifier of 3 characters.
  only(broken('ABF:I10', 'ABF:I1.0'), '2300: HI');
  only(broken('UN*1***1:2', 'UN*1***1:3'), '2400: SV101');
  only(broken('HC:99454*', 'HC:99454:951*'), '2400: SV101');
});
