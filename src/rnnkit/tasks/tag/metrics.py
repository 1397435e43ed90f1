"""Tagging figures: entity-level precision/recall/F1 (seqeval, strict, per entity type) and
token accuracy."""

from __future__ import annotations


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
