"""Evaluate the synthetic-media detectors on ``../shared/data/media`` (see ``docs/synthetic.md``).

Usage::

    .venv/bin/python bench/eval_synthetic.py            # every evaluation, figures to stdout
    .venv/bin/python bench/eval_synthetic.py --fit      # refit the spectral calibration first
    .venv/bin/python bench/eval_synthetic.py --only c2pa,watermark --json out.json

Evaluations:

- ``c2pa``: ``synthetic.provenance`` against the C2PA SDK's own labels (exact match of the
  class: AI-declared, no AI assertion, tampered, no manifest, unreadable/remote).
- ``watermark``: ``synthetic.watermark`` on Stable Diffusion outputs vs real photos
  (detection counts at the default threshold, and byte-exact agreement of the decoded
  payloads with the reference decoder's output recorded in ``labels.csv``).
- ``auc``: ROC AUC of ``synthetic.spectral``, ``synthetic.clip_probe`` and the fused
  ``synthetic.image`` on the sets of :mod:`bench.synthetic_sets` (``realgen``,
  ``simulated``), with the spectral calibration fitted as described there.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench import synthetic_sets as sets  # noqa: E402

__all__ = ["main"]

C2PA_CLASS = {
    "ai-declared": "manifest_ai",
    "c2pa-no-ai": "manifest_no_ai_assertion",
    "tampered": "manifest_no_ai_assertion_INVALID",
    "no-provenance": "no_manifest",
    "unreadable-manifest": "unreadable_or_remote",
}


def eval_c2pa() -> dict[str, Any]:
    """Exact agreement of ``synthetic.provenance`` with the SDK labels of the C2PA fixtures."""
    from detectors.synthetic.provenance import ProvenanceOptions, c2pa_context, read_provenance

    context = c2pa_context(ProvenanceOptions())
    rows, confusion = [], {}
    for sample in sets.c2pa_fixtures():
        report = read_provenance(str(sample.path), context=context)
        score, label = report.score_label()
        want = str(sample.label).split(":", 1)[0]
        if want == "manifest_no_ai_assertion_INVALID" and report.declared_ai:
            want = "tampered-ai"
        got = C2PA_CLASS.get(label, label)
        confusion.setdefault(want, {}).setdefault(got, 0)
        confusion[want][got] += 1
        rows.append(
            {
                "file": sample.name,
                "want": want,
                "got": got,
                "state": report.c2pa_state,
                "declared_ai": report.declared_ai,
                "score": score,
            }
        )
    correct = sum(r["want"] == r["got"] for r in rows)
    return {
        "n": len(rows),
        "exact": correct,
        "confusion": confusion,
        "errors": [r for r in rows if r["want"] != r["got"]],
    }


def eval_watermark() -> dict[str, Any]:
    """Detection counts at the default threshold and decoder agreement with the reference."""
    import csv

    from detectors.synthetic.watermark import WatermarkDetector, decode_dwtdct, hard_bits

    detector = WatermarkDetector()
    detector.ensure_loaded()
    root = sets.MEDIA / "sd_invisible_watermark"
    counts: dict[str, dict[str, int]] = {}
    agree = 0
    rows = []
    with (root / "labels.csv").open() as fh:
        labelled = list(csv.DictReader(fh))
    for row in labelled:
        from PIL import Image

        rgb = np.asarray(Image.open(root / row["file"]).convert("RGB"))
        score, label, _, details = detector.judge(rgb)
        group = row["label"].split(" ", 1)[0]
        counts.setdefault(group, {}).setdefault(label, 0)
        counts[group][label] += 1
        ref136 = eval(row["decoded_136bit"], {"__builtins__": {}})  # noqa: S307 - bytes literal from our own labels
        ref32 = eval(row["decoded_32bit"], {"__builtins__": {}})  # noqa: S307
        ours136 = np.packbits(hard_bits(decode_dwtdct(rgb, 136))).tobytes()
        ours32 = np.packbits(hard_bits(decode_dwtdct(rgb, 32))).tobytes()
        agree += int(ours136 == ref136 and ours32 == ref32)
        rows.append(
            {
                "file": row["file"],
                "group": group,
                "label": label,
                "score": round(score, 3),
                "bit_accuracy": details["accuracies"],
            }
        )
    return {"n": len(labelled), "decoder_byte_exact": agree, "counts": counts, "rows": rows}


def _auc(y: list[int], s: list[float]) -> float:
    from sklearn.metrics import roc_auc_score

    return round(float(roc_auc_score(y, s)), 3)


def _features(samples: list[sets.Sample]) -> np.ndarray:
    from detectors.synthetic.spectral import FEATURES, spectral_features

    out = []
    for s in samples:
        feats = spectral_features(s.rgb())
        out.append([feats[f] for f in FEATURES] if feats else [0.0] * len(FEATURES))
    return np.array(out)


SPECTRAL_FIT_FEATURES = ("peak_half", "peak_quarter", "peak_eighth", "hf_slope", "residual_energy")


def _fit_lr(x: np.ndarray, y: np.ndarray, names: tuple[str, ...]) -> dict[str, Any]:
    from sklearn.linear_model import LogisticRegression

    from detectors.synthetic.spectral import FEATURES

    idx = [FEATURES.index(n) for n in names]
    xs = x[:, idx]
    mean, scale = xs.mean(axis=0), xs.std(axis=0) + 1e-9
    model = LogisticRegression(C=0.5, max_iter=1000).fit((xs - mean) / scale, y)
    return {
        "features": list(names),
        "mean": mean.round(6).tolist(),
        "scale": scale.round(6).tolist(),
        "coef": model.coef_[0].round(6).tolist(),
        "intercept": round(float(model.intercept_[0]), 6),
    }


def fit_spectral() -> dict[str, Any]:
    """Fit the spectral calibration; report a held-out check first, then fit on everything and save."""
    from sklearn.model_selection import StratifiedKFold

    from detectors.synthetic.spectral import CALIBRATION_FILE, spectral_score

    sim_a, sim_b, real = sets.simulated("a"), sets.simulated("b"), sets.realgen()
    xa, xb, xr = _features(sim_a), _features(sim_b), _features(real)
    ya, yb, yr = (np.array([s.label for s in group]) for group in (sim_a, sim_b, real))
    names = SPECTRAL_FIT_FEATURES
    from detectors.synthetic.spectral import FEATURES

    def scores(cal: dict[str, Any], x: np.ndarray) -> list[float]:
        return [spectral_score(dict(zip(FEATURES, row, strict=True)), cal) for row in x]

    cal_a = _fit_lr(xa, ya, names)
    held_out = {
        "fit_on": "simulated-a",
        "auc_simulated_b": _auc(list(yb), scores(cal_a, xb)),
        "auc_realgen": _auc(list(yr), scores(cal_a, xr)),
    }
    x_all, y_all = np.vstack([xa, xb, xr]), np.concatenate([ya, yb, yr])
    oof = np.zeros(len(y_all))
    for train, test in StratifiedKFold(5, shuffle=True, random_state=0).split(x_all, y_all):
        cal = _fit_lr(x_all[train], y_all[train], names)
        oof[test] = scores(cal, x_all[test])
    final = _fit_lr(x_all, y_all, names)
    final["note"] = (
        "Logistic regression on standardised features, fitted by bench/eval_synthetic.py --fit on "
        "bench.synthetic_sets simulated (a+b) and realgen; see docs/synthetic.md."
    )
    final["n"] = int(len(y_all))
    CALIBRATION_FILE.write_text(json.dumps(final, indent=1) + "\n")
    fusion = fit_fusion([*sim_a, *sim_b, *real], y_all, oof)
    return {
        "held_out": held_out,
        "cv5_auc_all": _auc(list(y_all), list(oof)),
        "n": int(len(y_all)),
        "saved": str(CALIBRATION_FILE.relative_to(REPO)),
        "fusion": fusion,
    }


def fit_fusion(samples: list[sets.Sample], y: np.ndarray, spectral_oof: np.ndarray) -> dict[str, Any]:
    """Fit the forensic fusion (Platt-style logistic regression on the sub-scores' logits) and save it.

    The spectral input is the out-of-fold score, so the fusion does not learn to trust an
    in-sample spectral fit. Weak signals give compressed, honest probabilities.
    """
    from PIL import Image
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    from detectors.synthetic.clip_probe import ClipProbe, clip_probe_dir
    from detectors.synthetic.fused import FUSION_FILE, _logit

    probe = ClipProbe(clip_probe_dir())
    clip = np.array([probe.probabilities([Image.fromarray(s.rgb())])[1][0] for s in samples])
    x_both = np.column_stack([[_logit(v) for v in clip], [_logit(v) for v in spectral_oof]])
    x_spec = x_both[:, 1:]
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    out: dict[str, Any] = {
        "note": "Fitted by bench/eval_synthetic.py --fit; see docs/synthetic.md.",
        "n": len(y),
    }
    report: dict[str, Any] = {"auc_clip": _auc(list(y), list(clip))}
    # Equal weights for the two logits, a priori: neither set looks like deployment data (the
    # simulated crops are no test of the CLIP probe), so only the common scale and the bias
    # are fitted. A free two-weight fit is reported for comparison, not used.
    free = LogisticRegression(C=1.0).fit(x_both, y)
    report["free_two_weight_fit"] = {
        "w_clip": round(float(free.coef_[0][0]), 4),
        "w_spectral": round(float(free.coef_[0][1]), 4),
    }
    x_sum = x_both.sum(axis=1, keepdims=True)
    for key, x in (("with_clip", x_sum), ("spectral_only", x_spec)):
        model = LogisticRegression(C=1.0).fit(x, y)
        oof = cross_val_predict(LogisticRegression(C=1.0), x, y, cv=folds, method="predict_proba")[:, 1]
        w = round(float(model.coef_[0][0]), 4)
        out[key] = {
            "w_clip": w if key == "with_clip" else 0.0,
            "w_spectral": w,
            "bias": round(float(model.intercept_[0]), 4),
        }
        fitted = model.predict_proba(x)[:, 1]
        report[key] = {
            **out[key],
            "cv5_auc": _auc(list(y), list(oof)),
            "real_above_0.7": int(np.sum((fitted >= 0.7) & (y == 0))),
            "real": int(np.sum(y == 0)),
            "generated_above_0.7": int(np.sum((fitted >= 0.7) & (y == 1))),
        }
    FUSION_FILE.write_text(json.dumps(out, indent=1) + "\n")
    return report


def eval_auc() -> dict[str, Any]:
    """ROC AUC of the forensic signals and the fused image score on the built sets."""
    import io
    import tempfile

    from PIL import Image

    from detectors.synthetic.fused import SyntheticImageDetector

    fused = SyntheticImageDetector()
    fused.ensure_loaded()
    out: dict[str, Any] = {"clip_probe_available": fused.clip_available}
    for set_name, samples in (("realgen", sets.realgen()), ("simulated", sets.simulated("all"))):
        y, spectral, clip, forensic, total = [], [], [], [], []
        started = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            for i, s in enumerate(samples):
                path = s.path
                if path is None:
                    path = Path(tmp) / f"{i}.png"
                    buf = io.BytesIO()
                    Image.fromarray(s.rgb()).save(buf, "PNG")
                    path.write_bytes(buf.getvalue())
                verdict = fused.judge_file(path)
                y.append(int(s.label))
                spectral.append(verdict["signals"].get("spectral", 0.0))
                clip.append(verdict["signals"].get("clip_probe", 0.5))
                forensic.append(verdict["signals"].get("forensic", 0.0))
                total.append(verdict["score"])
        elapsed = time.perf_counter() - started
        row = {
            "n": len(y),
            "positives": int(sum(y)),
            "auc_spectral": _auc(y, spectral),
            "auc_forensic_only": _auc(y, forensic),
            "auc_fused": _auc(y, total),
            "seconds_per_image": round(elapsed / len(y), 3),
        }
        if fused.clip_available:
            row["auc_clip_probe"] = _auc(y, clip)
        out[set_name] = row
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the evaluations and print their figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--fit", action="store_true", help="refit the spectral calibration first")
    parser.add_argument("--only", default="c2pa,watermark,auc", help="comma-separated: c2pa, watermark, auc")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args(argv)
    if not sets.MEDIA.is_dir():
        print(f"shared media data not found at {sets.MEDIA}", file=sys.stderr)
        return 2
    results: dict[str, Any] = {}
    if args.fit:
        results["spectral_fit"] = fit_spectral()
    wanted = {w.strip() for w in args.only.split(",") if w.strip()}
    for name, run in (("c2pa", eval_c2pa), ("watermark", eval_watermark), ("auc", eval_auc)):
        if name in wanted:
            started = time.perf_counter()
            results[name] = run()
            results[name]["seconds"] = round(time.perf_counter() - started, 1)
    text = json.dumps(results, indent=1, default=str)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
