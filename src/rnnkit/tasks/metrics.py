"""Classification and tagging figures: accuracy, macro-F1, per-class P/R/F1, confusion matrix,
and entity-level precision/recall/F1 (seqeval, per entity type)."""

from __future__ import annotations


def classification_metrics(true: list[int], predicted: list[int], labels: list[str]) -> dict:
    """Accuracy, macro-F1 (mean over the classes of `labels`), per-class precision, recall, F1
    and support, and the confusion matrix (rows: true class, columns: predicted)."""
    K = len(labels)
    confusion = [[0] * K for _ in range(K)]
    for t, p in zip(true, predicted):
        confusion[t][p] += 1
    per_class = {}
    for k, label in enumerate(labels):
        tp = confusion[k][k]
        predicted_k = sum(confusion[r][k] for r in range(K))
        support = sum(confusion[k])
        precision = tp / predicted_k if predicted_k else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[label] = {"precision": precision, "recall": recall, "f1": f1, "support": support}
    correct = sum(confusion[k][k] for k in range(K))
    return {"examples": len(true), "accuracy": correct / max(len(true), 1),
            "macro_f1": sum(c["f1"] for c in per_class.values()) / max(K, 1),
            "per_class": per_class, "labels": list(labels), "confusion": confusion}


def entity_metrics(true: list[list[str]], predicted: list[list[str]], scheme: str) -> dict:
    """Entity-level micro precision/recall/F1 and per-type figures from seqeval (an entity counts
    only when its type and both boundaries match), plus token accuracy."""
    from seqeval.metrics import classification_report
    from seqeval.scheme import BILOU, IOB2, IOBES

    tokens = sum(len(t) for t in true)
    accuracy = sum(a == b for ts, ps in zip(true, predicted) for a, b in zip(ts, ps)) / max(tokens, 1)
    if scheme == "none":
        return {"token_accuracy": accuracy, "sentences": len(true), "tokens": tokens}
    mode = {"bio": IOB2, "bioes": IOBES, "bilou": BILOU}[scheme]
    report = classification_report(true, predicted, mode="strict", scheme=mode, output_dict=True,
                                   zero_division=0)
    micro = report.pop("micro avg")
    macro = report.pop("macro avg")
    report.pop("weighted avg", None)
    per_type = {k: {"precision": float(v["precision"]), "recall": float(v["recall"]),
                    "f1": float(v["f1-score"]), "support": int(v["support"])} for k, v in report.items()}
    return {"precision": float(micro["precision"]), "recall": float(micro["recall"]),
            "f1": float(micro["f1-score"]), "macro_f1": float(macro["f1-score"]),
            "entities": int(micro["support"]), "token_accuracy": accuracy, "per_type": per_type,
            "sentences": len(true), "tokens": tokens}
