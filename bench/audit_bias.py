"""Bias audit of Pantau's own detectors: error rates per target group and per language.

Text (``gbv.text``, ``gbv.threat``, ``text.offensive``, run through the detector registry as the
pipeline runs them, language enricher included):

- the templated SEA HateCheck suites (``../shared/data/gbv/asean/multi_seahatecheck_FUNCTEST``,
  id/ms/th/tl, and ``ms_sghatecheck_FUNCTEST``, Singapore Malay): the same templates with the
  target slot filled by each group, so a false-positive rate that differs between groups (on
  non-hateful sentences that only *mention* the group) or a false-negative rate that differs
  (on hateful ones) is a difference in how the detector treats the group, not in the data.
  Rows of the multi suite that trained the threat head (``bench/gbv_data.py``) are left out.
- the real ASEAN sets (and EDOS, English, as the reference the sexism head was built on):
  their dev rows only (the rows ``bench/gbv_data.py`` holds out of training).

What counts as positive for each detector: ``gbv.text`` and ``text.offensive``: the row is
hateful / abusive (``label`` = 1; EDOS: sexist); ``gbv.threat``: the row is a threat template
(``threat_dir_h``, ``threat_norm_h``), its negatives the non-hateful rows. A detector flags a row
when its score reaches ``--threshold`` (0.5, the detectors' own decision threshold).

Faces (``media.faces``): detection rate and false-match rate per real-face source of
``../shared/data/media`` (see ``docs/bias.md`` for why not per demographic group).

Run (CPU heavy on a shared machine: ``nice``; scores are cached under ``/tmp``)::

    nice .venv/bin/python bench/audit_bias.py --write-docs

writes ``docs/img/bias_fpr.svg`` and prints the Markdown tables that ``docs/bias.md`` holds.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script
    sys.path.insert(0, str(ROOT))

DATA = Path(os.environ.get("PANTAU_GBV_DATA", ROOT / "../shared/data/gbv"))
MEDIA_DATA = ROOT / "../shared/data/media"
CACHE = Path(os.environ.get("PANTAU_BIAS_CACHE", "/tmp/pantau-bias-cache"))  # noqa: S108 - rebuildable
DETECTORS = ("gbv.text", "gbv.threat", "text.offensive")
THREAT_FUNCTIONS = ("threat_dir_h", "threat_norm_h")
WOMEN = frozenset({"women", "female"})
"""Target groups that are women (the suites' ``target_women`` marks hateful rows only)."""
CODE_THRESHOLDS = {"gbv.text": 0.75, "gbv.threat": 0.7, "text.offensive": 0.8}
"""Where the model code of conduct (codes/model_code.yaml) acts on each score."""
REAL_SOURCES = ("edos", "mlthsc", "netifier", "idnews", "idig", "thai", "myning")

__all__ = ["Rates", "rates", "rates_by"]


@dataclass(frozen=True)
class Rates:
    """Error rates of one detector over one slice: counts and the two rates (``None`` when undefined)."""

    n: int
    positives: int
    negatives: int
    false_positives: int
    false_negatives: int

    @property
    def fpr(self) -> float | None:
        """False positives over negatives (flagged though not hateful)."""
        return self.false_positives / self.negatives if self.negatives else None

    @property
    def fnr(self) -> float | None:
        """False negatives over positives (hateful, not flagged)."""
        return self.false_negatives / self.positives if self.positives else None


def rates(truth: Iterable[int | None], flagged: Iterable[bool]) -> Rates:
    """Count errors over rows whose truth is 1 or 0 (rows with truth ``None`` are not counted).

    >>> r = rates([1, 1, 0, 0, 0, None], [True, False, True, False, False, True])
    >>> (r.n, r.false_negatives, r.false_positives, round(r.fpr, 3), r.fnr)
    (5, 1, 1, 0.333, 0.5)
    """
    pos = neg = fp = fn = 0
    for t, f in zip(truth, flagged, strict=True):
        if t is None:
            continue
        if t:
            pos += 1
            fn += not f
        else:
            neg += 1
            fp += bool(f)
    return Rates(pos + neg, pos, neg, fp, fn)


def rates_by(rows: Sequence[dict[str, Any]], key: str, truth_key: str, flag_key: str) -> dict[str, Rates]:
    """:func:`rates` per value of ``rows[i][key]`` (sorted by value)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(str(row[key]), []).append(row)
    return {k: rates([r[truth_key] for r in g], [r[flag_key] for r in g]) for k, g in sorted(groups.items())}


# -- data ---------------------------------------------------------------------------------------
def _canonical_group(target: str) -> str:
    """One spelling per group across the two suites (``Women``/``women``, ``Transexual``...)."""
    t = str(target).strip().lower()
    return {"transexual": "trans people", "transgender": "trans people", "homosexual": "gay people",
            "gay": "gay people", "physically disabled": "disabled people", "disabled": "disabled people",
            "mentally ill": "mentally ill", "seniors": "older people"}.get(t, t)


def _sample(frame: Any, column: str, per_value: int, seed: int) -> Any:
    """At most ``per_value`` rows of each value of ``column``, drawn with a fixed seed."""
    keep = [i for _, g in frame.groupby(column) for i in g.sample(min(len(g), per_value), random_state=seed).index]
    return frame.loc[sorted(keep)]


def templated_rows(sample_per_lang: int | None, seed: int, min_group: int = 200) -> list[dict[str, Any]]:
    """The HateCheck rows: text, lang, group, hateful (0/1), threat (1, 0 or None), suite."""
    import numpy as np
    import pandas as pd

    from bench.gbv_data import HATECHECK_THREAT, _holdout

    asean = DATA / "asean"
    hc = pd.read_csv(asean / "multi_seahatecheck_FUNCTEST" / "data.csv").dropna(subset=["text"])
    hc = hc.reset_index(drop=True)
    # The rows bench/gbv_data.py gave the threat head for training: same seeded draw, minus its dev rows.
    is_threat = hc.t_function.isin(HATECHECK_THREAT).to_numpy()
    keep = is_threat | (np.random.default_rng(0).random(len(hc)) < 0.15)
    trained = np.zeros(len(hc), dtype=bool)
    trained[np.flatnonzero(keep)] = ~_holdout(hc.text[keep])
    hc = hc[~trained].assign(suite="SEAHateCheck")
    sg = pd.read_csv(asean / "ms_sghatecheck_FUNCTEST" / "data.csv").dropna(subset=["text"])
    sg = sg.assign(suite="SGHateCheck", lang="ms-sg")
    both = pd.concat([hc, sg], ignore_index=True)
    if sample_per_lang:
        both = _sample(both, "lang", sample_per_lang, seed)
    counts = both.p_target.map(_canonical_group).value_counts()
    rows = []
    for r in both.itertuples():
        threat = 1 if r.t_function in THREAT_FUNCTIONS else (0 if r.label == 0 else None)
        group = _canonical_group(r.p_target)
        if group == "nan":
            group = "(no group: objects, individuals, profanity)"
        elif counts[group] < min_group:
            group = f"(smaller groups, each < {min_group} rows)"
        rows.append({"text": str(r.text), "lang": r.lang, "group": group,
                     "women": int(group in WOMEN), "hateful": int(r.label), "threat": threat,
                     "function": r.t_function, "suite": r.suite})
    return rows


def real_rows(sample_per_source: int | None, seed: int) -> list[dict[str, Any]]:
    """Dev rows of the natural sets: text, lang, source, hateful (abuse; EDOS: sexist)."""
    from bench.gbv_data import load_corpus

    corpus = load_corpus(DATA)
    corpus = corpus[corpus.source.isin(REAL_SOURCES) & corpus.dev]
    truth = corpus.sexism.where(corpus.source == "edos", corpus.abuse)
    corpus = corpus.assign(truth=truth)
    corpus = corpus[corpus.truth >= 0]
    if sample_per_source:
        corpus = _sample(corpus, "source", sample_per_source, seed)
    return [{"text": r.text, "lang": r.lang, "source": r.source, "hateful": int(r.truth)}
            for r in corpus.itertuples() if str(r.text).strip()]


# -- scoring ------------------------------------------------------------------------------------
def _weights_tag() -> str:
    """Digest of the gbv weights file: cached scores of other weights are never reused."""
    weights = ROOT / "detectors" / "gbv" / "weights" / "gbv_text.npz"
    return hashlib.sha256(weights.read_bytes()).hexdigest()[:12] if weights.is_file() else "none"


def score_texts(texts: Sequence[str], batch: int = 64) -> dict[str, dict[str, float]]:
    """Score every distinct text with the three detectors; cached per text under :data:`CACHE`."""
    from detectors.registry import DetectorRegistry
    from pantau.schemas import MediaItem
    from pantau.settings import Settings
    from streams.stages import detect, enrich, to_enriched

    CACHE.mkdir(parents=True, exist_ok=True)
    cache_file = CACHE / f"scores-{_weights_tag()}.jsonl"
    done: dict[str, dict[str, float]] = {}
    if cache_file.exists():
        for line in cache_file.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            done[row["k"]] = row["s"]
    key = {t: hashlib.sha1(t.encode("utf-8", "surrogatepass"), usedforsecurity=False).hexdigest() for t in texts}
    todo = sorted({t for t in texts if key[t] not in done})
    if todo:
        settings = Settings.load(overrides={"batch_size": batch})
        registry = DetectorRegistry.from_settings(settings).only(list(DETECTORS))
        registry.load()
        started = time.monotonic()
        with cache_file.open("a", encoding="utf-8") as out:
            for start in range(0, len(todo), batch):
                chunk = todo[start:start + batch]
                items = [MediaItem(id=f"b{start + i}", source="audit", native_id=str(start + i), text=t)
                         for i, t in enumerate(chunk)]
                enriched, _ = enrich(to_enriched(items), registry)
                _, signals, _ = detect(enriched, registry)
                for item, text in zip(items, chunk, strict=True):
                    scores = {s.detector: round(s.score, 5) for s in signals.get(item.id, [])}
                    done[key[text]] = scores
                    out.write(json.dumps({"k": key[text], "s": scores}) + "\n")
                if (start // batch) % 20 == 0:
                    rate = (start + len(chunk)) / max(time.monotonic() - started, 1e-9)
                    print(f"scored {start + len(chunk)}/{len(todo)} ({rate:.0f} texts/s)", file=sys.stderr)
    return {t: done[key[t]] for t in texts}


def flag_rows(rows: list[dict[str, Any]], scores: dict[str, dict[str, float]], threshold: dict[str, float]) -> None:
    """Add ``<detector>`` flags (score >= the detector's threshold) to each row."""
    for row in rows:
        s = scores[row["text"]]
        for det in DETECTORS:
            row[det] = s.get(det, 0.0) >= threshold[det]


# -- faces --------------------------------------------------------------------------------------
FACE_SOURCES = {
    "FFHQ (Flickr portraits)": ("synthetic_faces", "FFHQ"),
    "in-the-wild crops 256 px": ("synthetic_faces", "in-the-wild"),
    "UTKFace 200 px": ("synthetic_more", "UTKFace"),
    "Unsplash (men)": ("synthetic_more", "unsplash"),
    "web-collected": ("synthetic_more", "web-collected"),
}


def face_audit(per_source: int, seed: int) -> dict[str, dict[str, float]]:
    """Per real-face source: faces found, and false matches among different people at the threshold.

    Every image of a source is a different person (the sets hold one photo per person), so any
    pair of faces whose SFace similarity reaches ``match_threshold`` is a false match: the rate at
    which a stranger would be named as an enrolled candidate.
    """
    import csv
    import random

    import numpy as np

    from detectors.media.decode import open_image
    from detectors.media.faces import FaceModels, FaceOptions

    threshold = FaceOptions().match_threshold
    models = FaceModels()
    out: dict[str, dict[str, float]] = {}
    for name, (folder, needle) in FACE_SOURCES.items():
        with (MEDIA_DATA / folder / "labels.csv").open(encoding="utf-8") as fh:
            files = [r["file"] for r in csv.DictReader(fh)
                     if r["label"] == "real" and needle.lower() in r["generator_or_source"].lower()]
        random.Random(seed).shuffle(files)
        files = files[:per_source]
        if not files:
            continue
        found: list[Any] = []
        for f in files:
            try:
                img = open_image(MEDIA_DATA / folder / f, 40_000_000)
                bgr = np.asarray(img.convert("RGB"))[:, :, ::-1].copy()
                faces = models.faces(bgr, max_faces=1)
            except Exception:  # noqa: BLE001 - an unreadable file counts as no face
                faces = []
            if faces:
                found.append(faces[0].embedding.ravel())
        emb = np.array(found)
        pairs = false = 0
        if len(emb) > 1:
            emb = emb / np.linalg.norm(emb, axis=1, keepdims=True)
            sim = emb @ emb.T
            iu = np.triu_indices(len(emb), 1)
            pairs, false = len(iu[0]), int((sim[iu] >= threshold).sum())
        out[name] = {"images": len(files), "faces_found": len(found), "detection_rate": len(found) / len(files),
                     "pairs": pairs, "false_matches": false, "fmr": (false / pairs) if pairs else float("nan")}
    return out


# -- report -------------------------------------------------------------------------------------
def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def table(title: str, by: dict[str, dict[str, Rates]], kinds: Sequence[str] = ("fpr", "fnr")) -> str:
    """A Markdown table: one row per slice, FPR/FNR (and counts) per detector."""
    dets = list(by)
    slices = sorted({k for d in by.values() for k in d})
    head = "| " + title + " | n (neg/pos) | " + " | ".join(f"{d} {k.upper()}" for d in dets for k in kinds) + " |"
    lines = [head, "|" + "---|" * (2 + len(dets) * len(kinds))]
    for s in slices:
        first = next(by[d][s] for d in dets if s in by[d])
        cells = [_pct(getattr(by[d][s], k)) if s in by[d] else "–" for d in dets for k in kinds]
        lines.append(f"| {s} | {first.negatives}/{first.positives} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def svg_bars(series: dict[str, dict[str, float | None]], title: str, path: Path) -> None:
    """A grouped horizontal bar chart (one group per slice, one bar per detector) as a plain SVG."""
    from xml.sax.saxutils import escape

    colours = ["#4c72b0", "#dd8452", "#55a868", "#c44e52"]
    dets = list(series)
    slices = sorted({k for d in series.values() for k in d})
    bar, gap, left, width = 9, 8, 170, 420
    height = 60 + len(slices) * (len(dets) * bar + gap) + 20 * len(dets)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 80}" height="{height}" '
           'font-family="sans-serif" font-size="11">',
           f'<text x="10" y="18" font-size="13" font-weight="bold">{escape(title)}</text>']
    y = 34
    for tick in range(0, 101, 20):
        x = left + width * tick / 100
        out.append(f'<line x1="{x}" y1="{y}" x2="{x}" y2="{height - 20 * len(dets) - 10}" stroke="#ddd"/>')
        out.append(f'<text x="{x - 8}" y="{y - 4}" fill="#666">{tick}%</text>')
    y += 6
    for s in slices:
        out.append(f'<text x="{left - 6}" y="{y + len(dets) * bar / 2 + 4}" text-anchor="end">{escape(s)}</text>')
        for i, d in enumerate(dets):
            v = series[d].get(s)
            if v is not None:
                out.append(f'<rect x="{left}" y="{y}" width="{width * v:.1f}" height="{bar - 1}" '
                           f'fill="{colours[i % 4]}"/>')
                out.append(f'<text x="{left + width * v + 3:.1f}" y="{y + bar - 1}" fill="#333" '
                           f'font-size="9">{100 * v:.0f}</text>')
            y += bar
        y += gap
    for i, d in enumerate(dets):
        yy = height - 20 * (len(dets) - i) + 4
        out.append(f'<rect x="{left}" y="{yy - 9}" width="12" height="10" fill="{colours[i % 4]}"/>')
        out.append(f'<text x="{left + 18}" y="{yy}">{escape(d)}</text>')
    out.append("</svg>")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return f"{line.split(':', 1)[1].strip()}, {os.cpu_count()} logical cores"
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main(argv: Sequence[str] | None = None) -> int:
    """Score, count and print the tables; write the chart with ``--write-docs``."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threshold", type=float, default=0.5, help="One threshold for every detector.")
    ap.add_argument("--code-thresholds", action="store_true",
                    help=f"The code of conduct's thresholds instead: {CODE_THRESHOLDS}.")
    ap.add_argument("--sample-per-lang", type=int, default=0, help="HateCheck rows per language (0: all).")
    ap.add_argument("--sample-per-source", type=int, default=0, help="Real dev rows per source (0: all).")
    ap.add_argument("--faces-per-source", type=int, default=120)
    ap.add_argument("--no-faces", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--write-docs", action="store_true", help="Write docs/img/bias_*.svg.")
    ap.add_argument("--json", type=Path, default=CACHE / "audit_bias.json", help="Where the figures go.")
    args = ap.parse_args(argv)

    started = time.monotonic()
    templ = templated_rows(args.sample_per_lang or None, args.seed)
    real = real_rows(args.sample_per_source or None, args.seed)
    scores = score_texts([r["text"] for r in templ + real])
    thresholds = dict(CODE_THRESHOLDS) if args.code_thresholds else dict.fromkeys(DETECTORS, args.threshold)
    flag_rows(templ, scores, thresholds)
    flag_rows(real, scores, thresholds)

    hateful = {d: rates_by(templ, "group", "hateful", d) for d in ("gbv.text", "text.offensive")}
    hateful_lang = {d: rates_by(templ, "lang", "hateful", d) for d in ("gbv.text", "text.offensive")}
    threat = {"gbv.threat": rates_by(templ, "group", "threat", "gbv.threat")}
    threat_lang = {"gbv.threat": rates_by(templ, "lang", "threat", "gbv.threat")}
    real_src = {d: rates_by(real, "source", "hateful", d) for d in ("gbv.text", "text.offensive")}
    real_lang = {d: rates_by(real, "lang", "hateful", d) for d in ("gbv.text", "text.offensive")}
    # Women against every other group, per language: the question a commission will be asked.
    for row in templ:
        row["lang_women"] = f"{row['lang']} · {'women' if row['women'] else 'other groups'}"
    women = {d: rates_by(templ, "lang_women", "hateful", d) for d in ("gbv.text",)}
    women["gbv.threat"] = rates_by(templ, "lang_women", "threat", "gbv.threat")

    faces = {} if args.no_faces else face_audit(args.faces_per_source, args.seed)
    elapsed = time.monotonic() - started

    print(f"# bias audit: thresholds {thresholds}, {len(templ)} HateCheck rows, {len(real)} real dev rows, "
          f"{elapsed:.0f} s on {_cpu()}; gbv weights {_weights_tag()}\n")
    print("## HateCheck, hateful or not, per target group\n\n" + table("group", hateful) + "\n")
    print("## HateCheck, hateful or not, per language\n\n" + table("language", hateful_lang) + "\n")
    print("## HateCheck, threats (positives: threat templates; negatives: non-hateful rows), per group\n\n"
          + table("group", threat) + "\n")
    print("## HateCheck, threats, per language\n\n" + table("language", threat_lang) + "\n")
    print("## Women against other groups, per language\n\n" + table("language · target", women) + "\n")
    print("## Real sets (dev rows), per source\n\n" + table("source", real_src) + "\n")
    print("## Real sets (dev rows), per language\n\n" + table("language", real_lang) + "\n")
    if faces:
        print("## Faces, per real-face source\n")
        print("| source | images | faces found | detection rate | stranger pairs | false matches | FMR |")
        print("|---|---|---|---|---|---|---|")
        for name, f in faces.items():
            print(f"| {name} | {f['images']} | {f['faces_found']} | {_pct(f['detection_rate'])} | {f['pairs']} | "
                  f"{f['false_matches']} | {100 * f['fmr']:.2f}% |")
    figures = {
        "thresholds": thresholds, "seconds": elapsed, "cpu": _cpu(), "weights": _weights_tag(),
        "tables": {name: {d: {k: {**vars(r), "fpr": r.fpr, "fnr": r.fnr} for k, r in by.items()}
                          for d, by in t.items()}
                   for name, t in (("group", hateful), ("lang", hateful_lang), ("threat_group", threat),
                                   ("threat_lang", threat_lang), ("women", women), ("real_source", real_src),
                                   ("real_lang", real_lang))},
        "faces": faces,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(figures, indent=1), encoding="utf-8")
    if args.write_docs:
        img = ROOT / "docs" / "img"
        suffix = "_code" if args.code_thresholds else ""
        per_lang = {**hateful_lang, **threat_lang}
        svg_bars({d: {k: r.fpr for k, r in by.items()} for d, by in per_lang.items()},
                 "False-positive rate on non-hateful HateCheck sentences, per language",
                 img / f"bias_fpr_lang{suffix}.svg")
        svg_bars({d: {k: r.fnr for k, r in by.items()} for d, by in per_lang.items()},
                 "False-negative rate on hateful (threat: threat) HateCheck sentences, per language",
                 img / f"bias_fnr_lang{suffix}.svg")
        svg_bars({d: {k: r.fpr for k, r in by.items()} for d, by in women.items()},
                 "False-positive rate: non-hateful sentences about women vs other groups",
                 img / f"bias_women{suffix}.svg")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
