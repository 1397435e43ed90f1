"""Time-series forecasting: multi-horizon forecasts with intervals, the statistical
peers beside them, and backtests on held-out origins."""
