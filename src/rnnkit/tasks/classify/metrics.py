"""Classification figures: accuracy, macro-F1, per-class P/R/F1 and the confusion matrix."""

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
