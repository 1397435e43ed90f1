"""The tasks, one package each (lm, classify, tag, forecast, synthetic), and their registry."""
